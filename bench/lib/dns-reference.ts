// The established DoH stack the DNS bench compares against: Debian's knot (authoritative, the
// zone signed by knot's own automatic DNSSEC with ECDSA P-256) behind dnsdist's DoH frontend
// (DNS over plain HTTP, HTTP/1.1 or h2c, as behind a TLS-terminating edge), with dnsdist's packet
// cache on (the counterpart of TrustChain's answer cache). Everything listens on loopback in a
// temp dir; stop() ends both processes by their pids.

import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface ReferenceStack {
  dohUrl: string;
  /** dnsdist's and knotd's process ids (for CPU figures). */
  pids: number[];
  stop(): Promise<void>;
}

function launch(cmd: string, args: string[], ready: RegExp, what: string): Promise<{ child: ChildProcess; stop(): Promise<void> }> {
  const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once("exit", () => r()));
    child.kill("SIGTERM");
    const t = setTimeout(() => child.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(t);
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`${what} did not become ready:\n${log}`));
    }, 20_000);
    const onData = (d: Buffer) => {
      log += d.toString();
      if (ready.test(log)) {
        clearTimeout(timer);
        resolve({ child, stop });
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("error", (e) => {
      clearTimeout(timer);
      reject(new Error(`${what}: ${cmd} could not run (${e.message}); on Debian: apt-get install knot dnsdist`));
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited with ${code}:\n${log}`));
    });
  });
}

export async function startKnotBehindDnsdist(opts: { dir: string; apex: string; zoneText: string; ports: { knot: number; dns: number; doh: number } }): Promise<ReferenceStack> {
  const dir = opts.dir;
  mkdirSync(join(dir, "db"), { recursive: true });
  const zoneFile = join(dir, "zone.db");
  writeFileSync(zoneFile, opts.zoneText);
  writeFileSync(
    join(dir, "knot.conf"),
    `server:
    rundir: "${dir}"
    listen: 127.0.0.1@${opts.ports.knot}
database:
    storage: "${join(dir, "db")}"
policy:
  - id: ecdsa
    algorithm: ecdsap256sha256
    single-type-signing: on
template:
  - id: default
    storage: "${dir}"
    zonefile-sync: -1
    journal-content: none
zone:
  - domain: ${opts.apex}
    file: "${zoneFile}"
    dnssec-signing: on
    dnssec-policy: ecdsa
log:
  - target: stderr
    any: info
`,
  );
  const knot = await launch("knotd", ["-c", join(dir, "knot.conf")], /DNSSEC, next signing at/, "knotd");
  writeFileSync(
    join(dir, "dnsdist.conf"),
    `setSecurityPollSuffix("")
setLocal("127.0.0.1:${opts.ports.dns}")
-- no certificate: DNS over plain HTTP (HTTP/1.1 and h2c)
addDOHLocal("127.0.0.1:${opts.ports.doh}", nil, nil, "/dns-query")
newServer({address="127.0.0.1:${opts.ports.knot}", checkName="${opts.apex}"})
getPool(""):setCache(newPacketCache(10000))
`,
  );
  let dnsdist;
  try {
    dnsdist = await launch("dnsdist", ["--supervised", "--disable-syslog", "-C", join(dir, "dnsdist.conf")], /Marking downstream .* as 'up'/, "dnsdist");
  } catch (e) {
    await knot.stop();
    throw e;
  }
  return {
    dohUrl: `http://127.0.0.1:${opts.ports.doh}/dns-query`,
    pids: [dnsdist.child.pid, knot.child.pid].filter((p): p is number => p !== undefined),
    async stop() {
      await dnsdist.stop();
      await knot.stop();
    },
  };
}
