/**
 * Live-test support for the tests that drive a lab with the machine's kubectl
 * (kubectl*.test.ts): podlab's own CLI run from this checkout, and a lab brought up by it with
 * the kubeconfig `podlab kubeconfig` writes, which `kubectl` then uses.
 */
import { execa } from 'execa';
import { afterAll } from 'vitest';
import { labAroundSuite } from './host.ts';

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

/**
 * A lab that podlab's CLI brings up around a describe block (`aroundSuite`); `kubectl` then runs
 * against it.
 */
export function kubectlLab(lab: string, opts: { podlabTimeout?: number; kubectlTimeout?: number } = {}) {
  const podlab = podlabCli(opts.podlabTimeout);
  const k = {
    podlab,
    /** The kubeconfig `podlab kubeconfig` wrote, once `up` has run. */
    kubeconfig: '',
    kubectl: (...args: string[]) => execa('kubectl', args, { reject: false, env: { KUBECONFIG: k.kubeconfig }, timeout: opts.kubectlTimeout ?? 30_000 }),
    /**
     * Before the block's tests, `podlab up <file>` and `podlab kubeconfig` (anything of the lab left
     * before goes first); after them `podlab down`, then labAroundSuite's own `down` for whatever
     * that left and its checks of the host.
     */
    aroundSuite(file: string): void {
      labAroundSuite({
        name: lab,
        up: async () => {
          const r = await podlab('up', file);
          if (r.exitCode !== 0) throw new Error(`podlab up failed: ${r.stderr}`);
          const c = await podlab('kubeconfig', lab);
          if (c.exitCode !== 0) throw new Error(`podlab kubeconfig failed: ${c.stderr}`);
          k.kubeconfig = c.stdout.trim();
        },
      });
      // Registered after labAroundSuite's hooks, so it runs before its `down`.
      afterAll(() => podlab('down', lab), opts.podlabTimeout ?? 90_000);
    },
  };
  return k;
}
