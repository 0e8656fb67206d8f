import { describe, expect, it } from 'vitest';
import { noteRevision, REVISION_HISTORY_LIMIT, type TemplateRevision } from '../../src/loops/revisions.ts';

const walk = (hashes: string[]) => hashes.reduce<readonly TemplateRevision[]>((revs, h, i) => noteRevision(revs, h, `t${i}`), []);

describe('a Deployment\'s revisions, as the deployment controller numbers its ReplicaSets', () => {
  it('each new template gets the next revision; the same template again changes nothing', () => {
    const revs = walk(['a', 'b', 'c']);
    expect(revs.map((r) => [r.hash, r.revision, r.at])).toEqual([['a', 1, 't0'], ['b', 2, 't1'], ['c', 3, 't2']]);
    expect(noteRevision(revs, 'c', 'later')).toBe(revs);
  });

  it('a template rolled back to moves to the next revision and keeps its first creation time', () => {
    expect(walk(['a', 'b', 'a']).map((r) => [r.hash, r.revision, r.at])).toEqual([['b', 2, 't1'], ['a', 3, 't0']]);
  });

  it("keeps the revisions a template had before (deployment.kubernetes.io/revision-history) and the template as written, for its ReplicaSet to serve", () => {
    const written = { metadata: { labels: { app: 'a' } }, spec: { containers: [] } };
    const revs = ['a', 'b', 'a', 'c', 'a'].reduce<readonly TemplateRevision[]>((r, h, i) => noteRevision(r, h, `t${i}`, undefined, h === 'a' ? written : undefined), []);
    expect(revs.map((r) => [r.hash, r.revision, r.history ?? []])).toEqual([['b', 2, []], ['c', 4, []], ['a', 5, [1, 3]]]);
    expect(revs.at(-1)!.written).toBe(written);
  });

  it(`keeps the current template and ${REVISION_HISTORY_LIMIT} old ones`, () => {
    const revs = walk(Array.from({ length: 15 }, (_, i) => `h${i}`));
    expect(revs).toHaveLength(REVISION_HISTORY_LIMIT + 1);
    expect([revs[0]!.revision, revs.at(-1)!.revision]).toEqual([5, 15]);
  });
});
