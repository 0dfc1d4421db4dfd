import { Document, ImageNode, IndexNode, NodeRelationship, TextNode } from '@llamaindex/core/schema';
import { nodeToMetadata } from '@llamaindex/core/vector-store';
import { describe, expect, it } from 'vitest';
import { documentToNode, nodeToDocumentInput } from './node-records.js';

const source = new Document({ id_: 'doc-1', text: 'the whole document', metadata: { author: 'Ada' } });

function chunk(id: string, text: string, metadata: Record<string, unknown>): TextNode {
  return new TextNode({ id_: id, text, metadata, embedding: [1, 0], relationships: { [NodeRelationship.SOURCE]: source.asRelatedNodeInfo() } });
}

describe('node records', () => {
  it('stores the text once and the metadata SimpleVectorStore filters on', () => {
    const node = chunk('n1', 'The dog is brown', { name: 'Anakin', weight: 1.2, type: ['husky'] });
    const input = nodeToDocumentInput(node, 'node');
    expect(input.id).toBe('n1');
    expect(input.text).toBe('The dog is brown');
    // Exactly what LlamaIndex's nodeToMetadata writes (SimpleVectorStore filters on all of it but _node_content).
    expect(input.metadata).toEqual(nodeToMetadata(node, true));
    expect(input.metadata).toMatchObject({ ref_doc_id: 'doc-1', doc_id: 'doc-1', document_id: 'doc-1', _node_type: 'TextNode' });
    expect(JSON.parse(input.metadata!['_node_content'] as string).text).toBe('');
  });

  it('writes what nodeToMetadata writes for every node type, and leaves the node as it was', () => {
    const nodes = [
      source,
      chunk('n2', 'text', { nested: { a: [1, 2] }, flag: true }),
      new IndexNode({ id_: 'i1', text: 'summary', indexId: 'other', embedding: [1], relationships: { [NodeRelationship.SOURCE]: source.asRelatedNodeInfo() } }),
      new ImageNode({ id_: 'img', image: 'https://example.com/a.png', text: 'caption', metadata: { w: 3 } }),
    ];
    for (const node of nodes) {
      const before = JSON.stringify(node.toJSON());
      const expected: Record<string, unknown> = nodeToMetadata(node, true);
      if (node.sourceNode === undefined) for (const field of ['document_id', 'doc_id', 'ref_doc_id']) delete expected[field];
      expect(nodeToDocumentInput(node, 'node').metadata, node.id_).toEqual(expected);
      expect(JSON.stringify(node.toJSON())).toBe(before);
    }
  });

  it('rebuilds the node: id, text, metadata, relationships, type', () => {
    const node = chunk('n1', 'The dog is brown', { name: 'Anakin', type: ['husky'] });
    node.excludedEmbedMetadataKeys = ['name'];
    const input = nodeToDocumentInput(node, 'node');
    const back = documentToNode({ id: input.id, text: input.text!, metadata: input.metadata! });
    expect(back).toBeInstanceOf(TextNode);
    expect(back.id_).toBe('n1');
    expect((back as TextNode).text).toBe('The dog is brown');
    expect(back.metadata).toEqual({ name: 'Anakin', type: ['husky'] });
    expect(back.sourceNode?.nodeId).toBe('doc-1');
    expect(back.excludedEmbedMetadataKeys).toEqual(['name']);
    expect(back.hash).toBe(node.hash);
  });

  it('rebuilds index nodes as IndexNode', () => {
    const node = new IndexNode({ id_: 'i1', text: 'summary', indexId: 'other-index', embedding: [1] });
    const input = nodeToDocumentInput(node, 'node');
    const back = documentToNode({ id: input.id, text: input.text!, metadata: input.metadata! });
    expect(back).toBeInstanceOf(IndexNode);
    expect((back as IndexNode).indexId).toBe('other-index');
  });

  it('leaves out the source fields of a node without a source', () => {
    const input = nodeToDocumentInput(new TextNode({ id_: 'lone', text: 't', metadata: { a: 1 } }), 'node');
    expect(Object.keys(input.metadata!).sort()).toEqual(['_node_content', '_node_type', 'a']);
  });

  it('reads records written by other code as text nodes', () => {
    const back = documentToNode({ id: 'x', text: 'plain', metadata: { lang: 'en' } });
    expect(back).toBeInstanceOf(TextNode);
    expect(back.id_).toBe('x');
    expect((back as TextNode).text).toBe('plain');
    expect(back.metadata).toEqual({ lang: 'en' });
  });

  it('rejects things that are not nodes or have no id', () => {
    expect(() => nodeToDocumentInput({} as TextNode, 'nodes[0]')).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    const node = new TextNode({ text: 't' });
    node.id_ = '';
    expect(() => nodeToDocumentInput(node, 'nodes[0]')).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});
