import { InvalidArgumentError } from '@quiver/core-math';
import type { DocumentInput, DocumentRecord, Metadata } from '@quiver/docstore';
import { MetadataMode, TextNode, type BaseNode } from '@llamaindex/core/schema';
import { metadataDictToNode } from '@llamaindex/core/vector-store';

/** The metadata field that holds a node's id of its source (ref) document; `delete(refDocId)` filters on it. */
export const REF_DOC_ID_FIELD = 'ref_doc_id';
/** Fields `nodeToMetadata` derives from the source node; kept only when the node has one. */
const SOURCE_FIELDS = ['document_id', 'doc_id', REF_DOC_ID_FIELD] as const;
/** LlamaIndex's key for the serialized node (relationships, templates, hash...) without text and metadata. */
const NODE_CONTENT_FIELD = '_node_content';

/**
 * A node as a stored document, laid out the way LlamaIndex's own stores keep nodes
 * (`nodeToMetadata`): the node's metadata plus `_node_type`, `document_id` / `doc_id` /
 * `ref_doc_id` (the fields SimpleVectorStore's filters see too) and `_node_content`, the node's
 * JSON with its text removed, since the text is the record's own `text`. Nodes without a source
 * get no `*_doc_id` fields (nodeToMetadata would write "None"), so `delete("None")` cannot
 * remove them, as in SimpleVectorStore.
 */
export function nodeToDocumentInput(node: BaseNode, where: string): DocumentInput {
  if (typeof node !== 'object' || node === null || typeof node.toMutableJSON !== 'function') {
    throw new InvalidArgumentError(where, '[@quiver/llamaindex] expected a LlamaIndex node (BaseNode)');
  }
  if (typeof node.id_ !== 'string' || node.id_.length === 0) {
    throw new InvalidArgumentError(`${where}.id_`, `[@quiver/llamaindex] expected a non-empty string id, got ${JSON.stringify(node.id_)}`);
  }
  return { id: node.id_, text: node instanceof TextNode ? node.text : node.getContent(MetadataMode.NONE), metadata: storedMetadata(node) };
}

/**
 * What `nodeToMetadata(node, true)` returns (a test holds the two equal), without its
 * `structuredClone` of the whole node, embedding included, which costs more than the rest of an
 * `add`. The store copies the metadata itself; nothing here mutates the node.
 */
function storedMetadata(node: BaseNode): Record<string, unknown> {
  const { metadata, embedding: _embedding, ...rest } = node.toJSON() as { metadata: Record<string, unknown>; embedding?: unknown; [key: string]: unknown };
  rest['text'] = '';
  const stored: Record<string, unknown> = { ...metadata, [NODE_CONTENT_FIELD]: JSON.stringify(rest), _node_type: node.constructor.name.replace('_', '') };
  const source = node.sourceNode?.nodeId;
  if (source !== undefined) for (const field of SOURCE_FIELDS) stored[field] = source || 'None';
  return stored;
}

/**
 * Rebuilds the node a record was made from, with LlamaIndex's `metadataDictToNode` (which strips
 * the derived fields again). A record written by other code (no `_node_content`) comes back as a
 * TextNode with the record's id, text and metadata.
 */
export function documentToNode(record: DocumentRecord): BaseNode {
  const { [NODE_CONTENT_FIELD]: content, ...rest } = record.metadata as Metadata & { [NODE_CONTENT_FIELD]?: unknown };
  const fallback = { id_: record.id, text: record.text, metadata: rest };
  if (typeof content !== 'string') return metadataDictToNode({}, { fallback });
  const json = JSON.parse(content) as Record<string, unknown>;
  json['text'] = record.text;
  return metadataDictToNode({ ...rest, [NODE_CONTENT_FIELD]: JSON.stringify(json) });
}
