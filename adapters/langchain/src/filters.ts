import { Document } from '@langchain/core/documents';
import { InvalidArgumentError } from '@quiver/core-math';
import type { DocumentPredicate, DocumentRecord, FieldCondition, FilterExpression } from '@quiver/docstore';

/** A metadata value an equality filter can match (strict `===`, as MemoryVectorStore users write it). */
export type MetadataScalar = string | number | boolean | null;

/** `{ field: value, ... }`: documents whose metadata has every listed field strictly equal to its value. */
export type MetadataEqualityFilter = Readonly<Record<string, MetadataScalar>>;

/** A function over the Document, as MemoryVectorStore takes, or an object of metadata equalities. */
export type QuiverFilter = ((document: Document) => boolean) | MetadataEqualityFilter;

/** What the document store's search takes; `undefined` means no filter. */
export type CompiledFilter = FilterExpression | DocumentPredicate | undefined;

/**
 * Turns a LangChain filter into the document store's form. An object of equalities becomes `eq`
 * conditions (strict `===`, a missing field never matches), which the store answers from its
 * per-field inverted index without visiting other documents. A function runs once per live
 * document, on the Document MemoryVectorStore would build.
 */
export function compileFilter(filter: QuiverFilter | undefined): CompiledFilter {
  if (filter === undefined || filter === null) return undefined;
  if (typeof filter === 'function') return predicateOf(filter);
  if (typeof filter !== 'object' || Array.isArray(filter)) {
    throw new InvalidArgumentError('filter', `[@quiver/langchain] expected a function or an object of metadata equalities, got ${Array.isArray(filter) ? 'an array' : typeof filter}`);
  }
  const entries = Object.entries(filter);
  for (const [field, value] of entries) {
    if (!isScalar(value)) {
      throw new InvalidArgumentError(`filter.${field}`, `[@quiver/langchain] equality filters take strings, numbers, booleans or null, got ${Array.isArray(value) ? 'an array' : typeof value}`);
    }
  }
  if (entries.length === 0) return undefined;
  const conditions: FieldCondition[] = entries.map(([field, value]) => ({ field, op: 'eq', value }));
  return conditions.length === 1 ? conditions[0] : { condition: 'and', filters: conditions };
}

/**
 * A stored document as a LangChain Document. The store keeps metadata as a frozen JSON copy:
 * filters read it in place, results get a deep copy the caller may edit.
 */
export function toDocument(record: DocumentRecord, copyMetadata: boolean): Document {
  return new Document({
    pageContent: record.text,
    metadata: copyMetadata ? structuredClone(record.metadata as Record<string, unknown>) : (record.metadata as Record<string, unknown>),
    id: record.id,
  });
}

function predicateOf(filter: (document: Document) => boolean): DocumentPredicate {
  // Truthiness, as Array.prototype.filter in MemoryVectorStore judges it.
  return (record) => Boolean(filter(toDocument(record, false)));
}

function isScalar(value: unknown): value is MetadataScalar {
  return value === null || typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && !Number.isNaN(value));
}
