import { SeededRandom } from '@quiver/core-math';
import { Document, NodeRelationship, TextNode, type Metadata } from '@llamaindex/core/schema';
import { HashingEmbedding } from '../src/testing/index.js';

/** An embedding model for stores that are never asked to embed (both stores require one). */
export const unusedEmbedModel = new HashingEmbedding({ dim: 4 });

/** Source documents of the parity corpus, so SimpleVectorStore records the nodes' metadata. */
export const SOURCES = ['doc-a', 'doc-b', 'doc-c'].map((id) => new Document({ id_: id, text: `source ${id}` }));

/**
 * Metadata values chosen to exercise every operator's edge: zero, the empty string, numeric
 * strings, null, booleans, empty and mixed arrays, and missing keys (undefined entries are left out).
 * `str` and `tags` hold only strings, arrays or nothing, where SimpleVectorStore's text_match
 * works; `num` holds everything else (its text_match throws a TypeError on numbers and null).
 */
const NUM = [0, 1, 2.5, -3, 10, '10', 'abc', '', null, true, undefined];
const STR = ['Luke', 'luke skywalker', '', 'Leia', 'Anakin', undefined];
const TAGS = [[], ['husky'], ['husky', 'puppy'], [0, 'a'], [1, 2], ['puppy'], 'husky', undefined];

export function randomVector(random: SeededRandom, dim: number): number[] {
  return Array.from({ length: dim }, () => Math.fround(random.nextGaussian()));
}

/** `n` nodes with distinct random embeddings, cycling through the metadata edge cases. */
export function parityCorpus(n: number, dim: number, seed = 11): TextNode[] {
  const random = new SeededRandom(seed);
  return Array.from({ length: n }, (_, i) => {
    const metadata: Metadata = { rank: i };
    const values = { num: NUM[i % NUM.length], str: STR[(i * 7) % STR.length], tags: TAGS[(i * 3) % TAGS.length] };
    for (const [key, value] of Object.entries(values)) if (value !== undefined) metadata[key] = value;
    return new TextNode({
      id_: `node-${i}`,
      text: `node number ${i}`,
      metadata,
      embedding: randomVector(random, dim),
      relationships: { [NodeRelationship.SOURCE]: SOURCES[i % SOURCES.length]!.asRelatedNodeInfo() },
    });
  });
}
