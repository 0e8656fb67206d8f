#!/usr/bin/python3
"""Debian's Mininet for `npm run bench -- --peers` (scripts/bench.ts), one topology per process.

The bench starts this inside a network namespace of its own and a PID namespace of its own
(`ip netns exec podlab-bench-peer-… unshare --pid --fork --mount-proc --kill-child`), so every
link and bridge Mininet makes is inside that namespace, and every process it starts (the hosts'
shells detach from their parent) dies with the PID namespace when the bench kills its one child.

Two of Mininet's functions are replaced before Mininet runs, because they change the whole
machine, not the namespace it runs in:
  - mininet.util.fixLimits (called by every Mininet()) raises machine-wide sysctls (fs.file-max,
    net.core.*mem_max, kernel.pty.max);
  - mininet.clean.cleanup (what `mn -c` runs, and what `mn` runs on any exception or Ctrl-C)
    kills processes by name across the machine (`pkill -f`, `killall`) and deletes files in /tmp.
Both only set up or clean up around a run; neither is part of building or removing a network.

  mininet-peer.py api single,12 | linear,10,10
      Python API, LinearTopo/SingleSwitchTopo, LinuxBridge switches, no controller. Prints
      `ready`, then on each line of stdin: `up` builds and starts the network and prints
      {"upMs": …, "hosts": …}; `down` stops it and prints {"downMs": …}; then exits.
  mininet-peer.py cli <mn arguments>
      `mn` itself (/usr/bin/mn run as __main__), with the two replacements above.
"""
import json
import runpy
import sys
import time

import mininet.clean
import mininet.net


def refused(*_args, **_kwargs):
    raise SystemExit('mininet-peer: Mininet cleanup by name (mn -c) is refused; the bench removes its own namespace')


mininet.net.fixLimits = lambda: None
mininet.clean.cleanup = refused


def api(spec):
    from mininet.log import setLogLevel
    from mininet.net import Mininet
    from mininet.nodelib import LinuxBridge
    from mininet.topo import LinearTopo, SingleSwitchTopo

    setLogLevel('warning')
    kind, *n = spec.split(',')
    topo = SingleSwitchTopo(int(n[0])) if kind == 'single' else LinearTopo(int(n[0]), int(n[1]))
    print('ready', flush=True)
    net = None
    for line in sys.stdin:
        cmd = line.strip()
        if cmd == 'up':
            t = time.perf_counter()
            net = Mininet(topo=topo, switch=LinuxBridge, controller=None)
            net.start()
            up_ms = (time.perf_counter() - t) * 1000
            print(json.dumps({'upMs': up_ms, 'hosts': len(net.hosts), 'switches': len(net.switches)}), flush=True)
        elif cmd == 'down' and net is not None:
            t = time.perf_counter()
            net.stop()
            print(json.dumps({'downMs': (time.perf_counter() - t) * 1000}), flush=True)
            return


if __name__ == '__main__':
    if sys.argv[1:2] == ['api']:
        api(sys.argv[2])
    elif sys.argv[1:2] == ['cli']:
        sys.argv = ['mn'] + sys.argv[2:]
        runpy.run_path('/usr/bin/mn', run_name='__main__')
    else:
        sys.exit('usage: mininet-peer.py api <topo> | cli <mn arguments>')
