/**
 * Live-test support for the tests that drive a lab with the machine's kubectl
 * (kubectl*.test.ts): podlab's own CLI run from this checkout, and a lab brought up by it with
 * the kubeconfig `podlab kubeconfig` writes, which `kubectl` then uses.
 */
import { execa } from 'execa';
import { down } from '../../src/runtime/down.ts';

const ROOT = new URL('../../', import.meta.url).pathname;

/**
 * What a shell with NODE_EXTRA_CA_CERTS set hands the CLI (a file that does not exist: Node warns
 * in whichever process reads it). The `podlab` command and the Node processes of its own (the API
 * server) start without it.
 */
export const GIVEN_CA_CERTS = '/nonexistent/podlab-test-ca.pem';

/** `podlab <args>` from this checkout, as the `podlab` command (never rejects: the test reads exitCode, stdout, stderr). */
export const podlabCli = (timeout = 90_000) => (...args: string[]) =>
  execa(`${ROOT}bin/podlab.js`, args, { reject: false, cwd: ROOT, timeout, env: { NODE_EXTRA_CA_CERTS: GIVEN_CA_CERTS } });

/** A lab that `up` brings up with podlab's CLI (anything of it left before goes first); `kubectl` then runs against it. */
export function kubectlLab(lab: string, opts: { podlabTimeout?: number; kubectlTimeout?: number } = {}) {
  const podlab = podlabCli(opts.podlabTimeout);
  const k = {
    podlab,
    /** The kubeconfig `podlab kubeconfig` wrote, once `up` has run. */
    kubeconfig: '',
    kubectl: (...args: string[]) => execa('kubectl', args, { reject: false, env: { KUBECONFIG: k.kubeconfig }, timeout: opts.kubectlTimeout ?? 30_000 }),
    async up(file: string): Promise<void> {
      await down(lab);
      const r = await podlab('up', file);
      if (r.exitCode !== 0) throw new Error(`podlab up failed: ${r.stderr}`);
      const c = await podlab('kubeconfig', lab);
      if (c.exitCode !== 0) throw new Error(`podlab kubeconfig failed: ${c.stderr}`);
      k.kubeconfig = c.stdout.trim();
    },
    /** `podlab down`, then the runtime's down for whatever that left. */
    async down(): Promise<void> {
      await podlab('down', lab);
      await down(lab);
    },
  };
  return k;
}
