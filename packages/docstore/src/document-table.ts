import { CorruptFileError } from '@quiver/core-math';
import { FieldIndex } from './field-index.js';
import { fieldValue, matchesCondition, matchesFilter, type CompiledCondition, type CompiledFilter, type CompiledGroup } from './filter-eval.js';
import { addRow, emptyRows, forEachRow, intersectRows, removeRow, uniteRows, type RowBits } from './row-bits.js';
import { freezeMetadata, isPlainObject } from './metadata.js';
import type { DocumentPredicate, DocumentRecord, Metadata } from './types.js';

/**
 * The documents of a store, one per row: id, text and (frozen) metadata in parallel arrays, a map
 * id -> row, and recycled rows so the arrays stay as long as the largest the store ever was. The row
 * number is also the document's u64 id in the store's IdMapIndex.
 *
 * Per-field inverted indexes are built the first time a filter uses a field (one scan) and kept in
 * step afterwards, so fields nobody filters on (LlamaIndex's `_node_content`) cost nothing.
 *
 * Metadata is kept as an object and as its JSON text, each made from the other when first needed:
 * a loaded store parses a document's metadata when something reads it (a result, a filter), and a
 * save writes the JSON text it read or wrote last time, so neither loading nor saving again pays
 * for every document's JSON.
 */
export class DocumentTable {
  private ids: (string | undefined)[] = [];
  private texts: string[] = [];
  /** Undefined until the JSON text of a loaded row is parsed. */
  private metadata: (Metadata | undefined)[] = [];
  /** Undefined until a save needs the text (and again after a replace). */
  private metadataJson: (string | undefined)[] = [];
  private freeRows: number[] = [];
  private rowById = new Map<string, number>();
  private fields = new Map<string, FieldIndex>();

  /**
   * A table whose row i holds document i (columns validated by the caller: unique, non-empty ids),
   * taking over `rowById` (id -> i for every id). Metadata comes as JSON texts, parsed when first
   * read; one that is not a JSON object is a `CorruptFileError` then.
   */
  static fromColumns(ids: readonly string[], texts: readonly string[], metadataJson: readonly string[], rowById: Map<string, number>): DocumentTable {
    const table = new DocumentTable();
    table.ids = ids.slice();
    table.texts = texts.slice();
    table.metadata = new Array<Metadata | undefined>(ids.length);
    table.metadataJson = metadataJson.slice();
    table.rowById = rowById;
    return table;
  }

  /** Live documents. */
  get size(): number {
    return this.rowById.size;
  }

  /** Rows handed out (live or free): the bound of every row number. */
  get rowCount(): number {
    return this.ids.length;
  }

  /** The row of `id`, or -1. */
  rowOf(id: string): number {
    return this.rowById.get(id) ?? -1;
  }

  idAt(row: number): string | undefined {
    return this.ids[row];
  }

  record(row: number): DocumentRecord {
    return { id: this.ids[row]!, text: this.texts[row]!, metadata: this.metadataAt(row) };
  }

  textAt(row: number): string {
    return this.texts[row]!;
  }

  /** The (frozen) metadata of a live row. */
  metadataAt(row: number): Metadata {
    return this.metadata[row] ?? this.parseMetadata(row);
  }

  /** The metadata of a live row as JSON text, kept for the next save. */
  metadataJsonAt(row: number): string {
    return (this.metadataJson[row] ??= JSON.stringify(this.metadata[row]));
  }

  /** Adds a document whose id is not present; returns its row. */
  insert(id: string, text: string, metadata: Metadata): number {
    const row = this.freeRows.length > 0 ? this.freeRows.pop()! : this.ids.length;
    this.ids[row] = id;
    this.texts[row] = text;
    this.metadata[row] = metadata;
    this.metadataJson[row] = undefined;
    this.rowById.set(id, row);
    for (const [field, index] of this.fields) index.add(row, fieldValue(metadata, field));
    return row;
  }

  /** Replaces the text and metadata of a live row. */
  replace(row: number, text: string, metadata: Metadata): void {
    for (const [field, index] of this.fields) {
      index.remove(row, fieldValue(this.metadataAt(row), field));
      index.add(row, fieldValue(metadata, field));
    }
    this.texts[row] = text;
    this.metadata[row] = metadata;
    this.metadataJson[row] = undefined;
  }

  delete(row: number): void {
    for (const [field, index] of this.fields) index.remove(row, fieldValue(this.metadataAt(row), field));
    this.rowById.delete(this.ids[row]!);
    this.ids[row] = undefined;
    this.texts[row] = '';
    this.metadata[row] = EMPTY;
    this.metadataJson[row] = undefined;
    this.freeRows.push(row);
  }

  clear(): void {
    this.ids = [];
    this.texts = [];
    this.metadata = [];
    this.metadataJson = [];
    this.freeRows = [];
    this.rowById = new Map();
    this.fields = new Map();
  }

  /** Calls `visit` for every live row, ascending. */
  forEachLive(visit: (row: number) => void): void {
    const ids = this.ids;
    for (let row = 0; row < ids.length; row++) if (ids[row] !== undefined) visit(row);
  }

  liveRows(): RowBits {
    const bits = emptyRows(this.rowCount);
    this.forEachLive((row) => addRow(bits, row));
    return bits;
  }

  /** Rows of the ids that are present (unknown ids are ignored). */
  rowsOfIds(ids: Iterable<string>): RowBits {
    const bits = emptyRows(this.rowCount);
    for (const id of ids) {
      const row = this.rowById.get(id);
      if (row !== undefined) addRow(bits, row);
    }
    return bits;
  }

  /** Rows a predicate admits: it runs once per row of `candidates` (default: every live row). */
  predicateRows(predicate: DocumentPredicate, candidates?: RowBits): RowBits {
    const bits = emptyRows(this.rowCount);
    const visit = (row: number): void => {
      if (predicate(this.record(row))) addRow(bits, row);
    };
    if (candidates) forEachRow(candidates, visit);
    else this.forEachLive(visit);
    return bits;
  }

  /**
   * Rows a compiled filter admits. eq / in / contains / any / all read the field's inverted index;
   * other conditions scan, and inside an `and` only the rows the indexed conditions left.
   */
  filterRows(filter: CompiledFilter): RowBits {
    if (filter.type === 'condition') return isIndexed(filter) ? this.indexedRows(filter) : this.scanRows(filter);
    return filter.condition === 'and' ? this.andRows(filter) : this.orRows(filter);
  }

  private andRows(group: CompiledGroup): RowBits {
    const cheap = group.filters.filter(isIndexed);
    const rest = group.filters.filter((f) => !isIndexed(f));
    let bits: RowBits | undefined;
    for (const child of cheap) {
      const rows = this.filterRows(child);
      if (bits) intersectRows(bits, rows);
      else bits = rows;
    }
    if (rest.length === 0) return bits ?? this.liveRows();
    const remaining: CompiledGroup = { type: 'group', condition: 'and', filters: rest };
    if (!bits) return this.scanRows(remaining);
    const kept = bits;
    forEachRow(bits, (row) => {
      if (!matchesFilter(remaining, this.metadataAt(row))) removeRow(kept, row);
    });
    return kept;
  }

  private orRows(group: CompiledGroup): RowBits {
    const bits = emptyRows(this.rowCount);
    const rest = group.filters.filter((f) => !isIndexed(f));
    for (const child of group.filters) if (isIndexed(child)) uniteRows(bits, this.filterRows(child));
    // One pass for all the conditions that scan.
    if (rest.length > 0) uniteRows(bits, this.scanRows({ type: 'group', condition: 'or', filters: rest }));
    return bits;
  }

  private scanRows(filter: CompiledFilter): RowBits {
    const bits = emptyRows(this.rowCount);
    if (filter.type === 'condition') {
      const field = filter.field;
      this.forEachLive((row) => {
        if (matchesCondition(filter, fieldValue(this.metadataAt(row), field))) addRow(bits, row);
      });
    } else {
      this.forEachLive((row) => {
        if (matchesFilter(filter, this.metadataAt(row))) addRow(bits, row);
      });
    }
    return bits;
  }

  private indexedRows(condition: CompiledCondition): RowBits {
    const bits = emptyRows(this.rowCount);
    const index = this.fieldIndex(condition.field);
    switch (condition.op) {
      case 'eq':
        index.addScalarRows(condition.value, bits);
        return bits;
      case 'in':
        // LlamaIndex's `!!find(...)`: a falsy field value never matches `in`.
        for (const value of condition.values!) if (value) index.addScalarRows(value, bits);
        return bits;
      case 'contains':
        if (condition.value) index.addElementRows(condition.value, bits);
        return bits;
      case 'any':
        for (const value of condition.values!) index.addElementRows(value, bits);
        return bits;
      case 'all': {
        // Smallest posting first: the intersection never grows.
        const values = [...condition.values!].sort((a, b) => index.elementCount(a) - index.elementCount(b));
        index.addElementRows(values[0], bits);
        for (let i = 1; i < values.length; i++) {
          const other = emptyRows(this.rowCount);
          index.addElementRows(values[i], other);
          intersectRows(bits, other);
        }
        return bits;
      }
      default:
        return this.scanRows(condition);
    }
  }

  private fieldIndex(field: string): FieldIndex {
    let index = this.fields.get(field);
    if (!index) {
      const built = new FieldIndex();
      this.forEachLive((row) => built.add(row, fieldValue(this.metadataAt(row), field)));
      this.fields.set(field, built);
      index = built;
    }
    return index;
  }

  private parseMetadata(row: number): Metadata {
    let parsed: unknown;
    try {
      parsed = JSON.parse(this.metadataJson[row]!);
    } catch (error) {
      throw new CorruptFileError('header', `the metadata of document ${JSON.stringify(this.ids[row])} is not valid JSON`, { cause: error });
    }
    if (!isPlainObject(parsed)) throw new CorruptFileError('header', `the metadata of document ${JSON.stringify(this.ids[row])} is not a JSON object`);
    const metadata = freezeMetadata(parsed) as Metadata;
    this.metadata[row] = metadata;
    return metadata;
  }
}

const EMPTY: Metadata = Object.freeze({});

/** Whether a filter is answered from inverted indexes (or narrows an `and` enough to refine the rest). */
function isIndexed(filter: CompiledFilter): boolean {
  if (filter.type === 'group') return filter.condition === 'and' ? filter.filters.some(isIndexed) : filter.filters.length > 0 && filter.filters.every(isIndexed);
  switch (filter.op) {
    case 'eq':
    case 'in':
    case 'contains':
    case 'any':
      return true;
    case 'all':
      return filter.values!.length > 0;
    default:
      return false;
  }
}
