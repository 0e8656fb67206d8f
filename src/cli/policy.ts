/**
 * `podlab label` and `podlab policy apply|delete`: what `kubectl label pod`, `kubectl apply -f
 * policy.yaml` and `kubectl delete networkpolicy` do to a live lab, without the API server. Each
 * goes through the runtime's own path (runtime/policies.ts): the state first, then one nft
 * transaction per node holding only the chains and sets that differ.
 */
import type { Command } from 'commander';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseAllDocuments, type Document, type Node as YamlNode } from 'yaml';
import type { K8sObject } from '../api/types.ts';
import { diag, formatDiagnostic, formatPath, type Diagnostic } from '../compile/diagnostics.ts';
import { badKey, badValue } from '../compile/rules-policy.ts';
import { NOTHING_CHANGED } from '../constants.ts';
import { policyKey, type NetworkPolicy } from '../policy/types.ts';
import { realExecutor } from '../runtime/exec.ts';
import { applyPolicy, deletePolicy, labelPod, podList, PolicyError } from '../runtime/policies.ts';
import { readState } from '../runtime/state.ts';
import type { SyncReport } from '../runtime/services.ts';
import { asLabWriter, EXIT, Exit, inNamespace, labName, readInputOrExit, refused, ruleChangeLines, upOrExit } from './common.ts';
import { color, green } from './terminal.ts';

/** `source`: the text of `file`, for the excerpt under a diagnostic with a line. */
function invalid(diags: Diagnostic[], json: boolean | undefined, file?: string, source?: string): never {
  if (json) process.stdout.write(`${JSON.stringify({ ok: false, diagnostics: diags.map((d) => ({ ...d, file })) }, null, 2)}\n`);
  else for (const d of diags) process.stderr.write(`${formatDiagnostic({ ...d, file }, source, color)}\n`);
  if (!json) process.stderr.write(`${NOTHING_CHANGED}\n`);
  throw new Exit(EXIT.failed);
}

/** `key=value` sets, `key-` removes (kubectl label's syntax); every problem at once. */
export function parseLabelArgs(args: readonly string[]): { labels: Record<string, string | null>; problems: Diagnostic[] } {
  const labels: Record<string, string | null> = {};
  const problems: Diagnostic[] = [];
  for (const arg of args) {
    const eq = arg.indexOf('=');
    const [key, value] = eq >= 0 ? [arg.slice(0, eq), arg.slice(eq + 1)] : arg.endsWith('-') ? [arg.slice(0, -1), null] : [arg, undefined];
    const why = badKey(key);
    if (value === undefined) problems.push(diag('PL2111', [], `"${arg}" is neither key=value nor key-`, 'Write app=web to set a label, app- to remove it.'));
    else if (why) problems.push(diag('PL2111', [], `label key "${key}" is invalid: ${why}`));
    else if (value !== null && badValue(value)) problems.push(diag('PL2111', [], `label value "${value}" is invalid`, 'A label value is empty or at most 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit.'));
    else labels[key] = value;
  }
  return { labels, problems };
}

/**
 * The NetworkPolicies of a YAML file (one or more documents), checked as the API server checks
 * them; every problem at its line and column in the file (the document's, for one that is not a
 * NetworkPolicy; the field's own, for a field that is wrong).
 */
export async function policiesOfYaml(text: string, namespaces: readonly string[]): Promise<{ policies: NetworkPolicy[]; problems: Diagnostic[]; /** Per policy: where a field of it (`spec.podSelector`) is in the file. */ positions: ((field: string) => { line: number; column: number })[] }> {
  // The API kind's reading of a NetworkPolicy (its zod schema), loaded when a policy is applied: no other command needs it at its start.
  const { toPolicy } = await import('../api/kinds/networkpolicies.ts');
  const policies: NetworkPolicy[] = [];
  const problems: Diagnostic[] = [];
  const positions: ((field: string) => { line: number; column: number })[] = [];
  const lineCounter = new LineCounter();
  const at = (offset: number): { line: number; column: number } => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  for (const [i, doc] of parseAllDocuments(text, { lineCounter, prettyErrors: false }).entries()) {
    const where = `document ${i + 1}`;
    if (doc.errors.length) {
      const e = doc.errors[0]!;
      problems.push({ ...diag('PL3051', [], `${where} is not YAML: ${e.message.split('\n')[0]}`), ...at(e.pos[0]) });
      continue;
    }
    const o = doc.toJS() as K8sObject | null;
    if (o === null) continue;
    if (o?.kind !== 'NetworkPolicy' || o.apiVersion !== 'networking.k8s.io/v1' || typeof o.metadata?.name !== 'string') {
      problems.push({ ...diag('PL3051', [], `${where} is not a networking.k8s.io/v1 NetworkPolicy with a metadata.name (kind: ${String((o as { kind?: unknown } | undefined)?.kind ?? 'none')})`, 'podlab policy apply takes NetworkPolicies; Services and the coredns ConfigMap go through kubectl apply (docs/kubectl.md).'), ...at(fieldOffset(doc, o?.kind !== 'NetworkPolicy' ? 'kind' : o.apiVersion !== 'networking.k8s.io/v1' ? 'apiVersion' : 'metadata.name')) });
      continue;
    }
    const { policy, causes } = toPolicy(o, namespaces);
    if (policy) {
      policies.push(policy);
      positions.push((field) => at(fieldOffset(doc, field)));
    } else for (const c of causes) problems.push({ ...diag('PL3052', [], `${where}, NetworkPolicy ${o.metadata.namespace ?? 'default'}/${o.metadata.name}: ${c.field ? `${c.field}: ` : ''}${c.message}`), ...at(fieldOffset(doc, c.field ?? '')) });
  }
  if (!policies.length && !problems.length) problems.push(diag('PL3051', [], 'the file holds no NetworkPolicy'));
  return { policies, problems, positions };
}

/**
 * Where the field a cause names (`spec.ingress[0].ports[0].port`, `spec.podSelector.matchLabels["a/b"]`)
 * is in the document: its key's offset, or, for a field that is not written (a required one
 * missing), the key of the deepest field of the path that is; the document's start for none.
 * An unquoted name may hold dots (a label key): a name not found is tried with the next ones joined.
 */
export function fieldOffset(doc: Document, field: string): number {
  const segs = [...`.${field}`.matchAll(/\.([^.[\]]+)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]/g)].map((m) =>
    m[1] !== undefined ? { name: m[1], plain: true } : m[2] !== undefined ? { name: Number(m[2]), plain: false } : { name: JSON.parse(m[3]!) as string, plain: false },
  );
  let node: unknown = doc.contents;
  let at = (doc.contents as YamlNode | null)?.range?.[0] ?? 0;
  for (let i = 0; i < segs.length; i++) {
    const seg = segs[i]!;
    if (isSeq(node) && typeof seg.name === 'number') {
      const item = node.items[seg.name] as YamlNode | undefined;
      if (!item) break;
      at = item.range?.[0] ?? at;
      node = item;
      continue;
    }
    if (!isMap(node)) break;
    let name = String(seg.name);
    let pair = node.items.find((p) => isPair(p) && (isScalar(p.key) ? String(p.key.value) : p.key) === name);
    for (let j = i + 1; !pair && seg.plain && j < segs.length && segs[j]!.plain; j++) {
      name = `${name}.${String(segs[j]!.name)}`;
      pair = node.items.find((p) => isPair(p) && (isScalar(p.key) ? String(p.key.value) : p.key) === name);
      if (pair) i = j;
    }
    if (!pair) break;
    at = (pair.key as YamlNode | null)?.range?.[0] ?? at;
    node = pair.value;
  }
  return at;
}

export function registerPolicy(program: Command): void {
  program
    .command('label')
    .description("Set or remove a pod's labels in a live lab, as kubectl label pod does; the NetworkPolicies that select it and the Services whose selector it matches follow at once.")
    .argument('<lab>', 'lab name or file')
    .argument('<pod>', 'pod name, or namespace/pod')
    .argument('<labels...>', 'key=value to set, key- to remove')
    .option('-n, --namespace <namespace>', "the pod's namespace (as kubectl's -n): the same as namespace/pod")
    .option('--json', 'print the result as JSON')
    .addHelpText('after', `
Only the rules that change are sent: each node gets one nft transaction with the set elements
(and chains) the new labels move. Try it on the policy lab, where namespace x is default-deny
ingress, after the allow-clients example of podlab policy apply --help (x admits pods labelled
role=client):
  podlab label network-policy y/y-a role=client            y-a joins the policy's clients
  podlab explain network-policy y/y-a x/x-b --port 80/tcp  allowed now (denied before)
  podlab label -n y network-policy y-a role-               and leaves them again

Exit codes: 0 done; 1 a label is invalid (nothing changed); 2 the lab is not up or has no such pod.`)
    .action(async (arg: string, ref0: string, args: string[], opts: { json?: boolean; namespace?: string }) => {
      const { labels, problems } = parseLabelArgs(args);
      if (problems.length) invalid(problems, opts.json);
      const lab = await labName(arg, opts.json);
      const state = upOrExit(lab, opts.json);
      const ref = inNamespace(ref0, opts.namespace);
      const name = ref.includes('/') ? ref.slice(ref.indexOf('/') + 1) : ref;
      if (ref.includes('/') && !state.plan.pods.some((p) => `${p.namespace}/${p.name}` === ref)) refused(new PolicyError('PL3030', `lab "${lab}" has no pod "${ref}"; pods: ${podList(state)}`), { json: opts.json, exit: EXIT.cannotRun });
      try {
        const r = await asLabWriter(lab, state, (s) => labelPod(realExecutor, s, name, labels));
        if (opts.json) process.stdout.write(`${JSON.stringify({ lab, pod: name, before: r.before, after: r.after, rulesApplied: r.sync.applied }, null, 2)}\n`);
        else {
          const show = (l: Record<string, string>) => Object.entries(l).map(([k, v]) => `${k}=${v}`).join(',') || '(none)';
          process.stdout.write(`${green('✓')} pod ${name}: labels ${show(r.before)} → ${show(r.after)}\n${ruleChangeLines(r.sync.applied)}`);
        }
      } catch (e) {
        if (e instanceof PolicyError) refused(e, { json: opts.json, exit: EXIT.cannotRun });
        throw e;
      }
    });

  const policy = program
    .command('policy')
    .description('Add, change or remove NetworkPolicies of a live lab, as kubectl apply -f and kubectl delete networkpolicy do.');

  policy
    .command('apply')
    .description('Create or replace the NetworkPolicies of a YAML file (networking.k8s.io/v1; several documents allowed). Every one is checked first; one that is invalid changes nothing.')
    .argument('<lab>', 'lab name or file')
    .requiredOption('-f, --filename <file>', 'the YAML file')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', `
Example (namespace x of the policy lab is default-deny ingress; this admits, on TCP port 80,
the pods of any namespace labelled role=client, and none is yet: its checks still pass):
  cat > allow-clients.yaml <<'EOF'
  apiVersion: networking.k8s.io/v1
  kind: NetworkPolicy
  metadata: { name: allow-clients, namespace: x }
  spec:
    podSelector: {}
    ingress: [{ from: [{ namespaceSelector: {}, podSelector: { matchLabels: { role: client } } }], ports: [{ port: 80 }] }]
  EOF
  podlab policy apply network-policy -f allow-clients.yaml && podlab check network-policy
  podlab label network-policy y/y-a role=client             y-a is admitted (podlab label --help)

A policy whose selectors select no running pod (or no namespace) is applied, with the warning
podlab validate gives for it in a lab file (PL2112), as kubectl prints the API server's.

Exit codes: 0 applied (with or without warnings); 1 the file is not valid (nothing changed); 2 the lab is not up.`)
    .action(async (arg: string, opts: { filename: string; json?: boolean }) => {
      const text = readInputOrExit(opts.filename, '-f', opts.json);
      const lab = await labName(arg, opts.json);
      const state = upOrExit(lab, opts.json);
      const { policies, problems, positions } = await policiesOfYaml(text, state.plan.namespaces);
      if (problems.length) invalid(problems, opts.json, opts.filename, text);
      // Applied all the same, as the API server applies them; validate's warnings (PL2112: selects no pod), at their lines.
      const { policyWarnings } = await import('../api/kinds/networkpolicies.ts');
      const warnings = policies.flatMap((p, i) => policyWarnings(state, p).map((d) => ({ ...d, file: opts.filename, ...positions[i]!(formatPath(d.path)) })));
      const done: { policy: string; replaced: boolean }[] = [];
      let applied: SyncReport['applied'] = [];
      for (const p of policies) {
        const r = await asLabWriter(lab, readState(lab) ?? state, (s) => applyPolicy(realExecutor, s, p));
        done.push({ policy: policyKey(p), replaced: r.replaced });
        applied = [...applied, ...r.sync.applied];
      }
      if (opts.json) process.stdout.write(`${JSON.stringify({ lab, applied: done, rulesApplied: applied, warnings }, null, 2)}\n`);
      else {
        for (const w of warnings) process.stderr.write(`${formatDiagnostic(w, text, color)}\n`);
        process.stdout.write(`${done.map((d) => `${green('✓')} networkpolicy ${d.policy} ${d.replaced ? 'configured' : 'created'}\n`).join('')}${ruleChangeLines(applied)}`);
      }
    });

  policy
    .command('delete')
    .description('Remove a NetworkPolicy of a live lab; the pods it isolated are isolated only by what is left.')
    .argument('<lab>', 'lab name or file')
    .argument('<policy>', 'namespace/name, or name (in the namespace of -n, else default)')
    .option('-n, --namespace <namespace>', "the policy's namespace (as kubectl's -n): the same as namespace/name")
    .option('--json', 'print the result as JSON')
    .addHelpText('after', `
Example (the allow-clients policy of podlab policy apply --help):
  podlab policy delete network-policy x/allow-clients       or: podlab policy delete -n x network-policy allow-clients

Exit codes: 0 deleted; 2 the lab is not up or has no such NetworkPolicy.`)
    .action(async (arg: string, ref0: string, opts: { json?: boolean; namespace?: string }) => {
      const lab = await labName(arg, opts.json);
      const state = upOrExit(lab, opts.json);
      const ref = inNamespace(ref0, opts.namespace);
      const [namespace, name] = ref.includes('/') ? [ref.slice(0, ref.indexOf('/')), ref.slice(ref.indexOf('/') + 1)] : ['default', ref];
      try {
        const sync = await asLabWriter(lab, state, (s) => deletePolicy(realExecutor, s, namespace, name));
        if (opts.json) process.stdout.write(`${JSON.stringify({ lab, deleted: `${namespace}/${name}`, rulesApplied: sync.applied }, null, 2)}\n`);
        else process.stdout.write(`${green('✓')} networkpolicy ${namespace}/${name} deleted\n${ruleChangeLines(sync.applied)}`);
      } catch (e) {
        if (e instanceof PolicyError) refused(e, { json: opts.json, exit: EXIT.cannotRun });
        throw e;
      }
    });
}
