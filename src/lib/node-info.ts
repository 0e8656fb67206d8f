/**
 * What a lab node's kubelet would report of itself (a Node's status.nodeInfo), one source for the
 * lab's API server and `podlab get nodes`: a node is a network namespace on this host, so its
 * kernel (`uname -r`, as a kubelet reads it) and its OS image (`/etc/os-release`'s PRETTY_NAME, as
 * a kubelet reads it) are the host's; its "container runtime" is podlab itself, named
 * `podlab://<version>` as a runtime names itself over the CRI (`containerd://1.7.2`); its kubelet
 * version is the API server's (`v1.32.0-podlab`), as a kubeadm cluster's kubelets match their
 * control plane.
 */
import { readFileSync } from 'node:fs';
import { release } from 'node:os';
import { PACKAGE_ROOT } from './build-dir.ts';

/** The Kubernetes version podlab's API server and its nodes' kubelets answer as (`kubectl version`, VERSION of `get nodes`). */
export const KUBE_VERSION = 'v1.32.0-podlab';

export interface NodeInfo {
  kubeletVersion: string;
  containerRuntimeVersion: string;
  osImage: string;
  kernelVersion: string;
  operatingSystem: 'linux';
  architecture: string;
}

let cached: NodeInfo | undefined;

function osImage(): string {
  try {
    const m = /^PRETTY_NAME=(?:"([^"]*)"|(.*))$/m.exec(readFileSync('/etc/os-release', 'utf8'));
    return (m?.[1] ?? m?.[2] ?? '').trim() || 'Linux';
  } catch {
    return 'Linux';
  }
}

function podlabVersion(): string {
  try {
    return String((JSON.parse(readFileSync(`${PACKAGE_ROOT}package.json`, 'utf8')) as { version: unknown }).version);
  } catch {
    return 'unknown';
  }
}

/** The same for every node of every lab on this host; read once. */
export function nodeInfo(): NodeInfo {
  return (cached ??= {
    kubeletVersion: KUBE_VERSION,
    containerRuntimeVersion: `podlab://${podlabVersion()}`,
    osImage: osImage(),
    kernelVersion: release(),
    operatingSystem: 'linux',
    // Go's GOARCH names, as a kubelet reports them.
    architecture: process.arch === 'x64' ? 'amd64' : process.arch,
  });
}
