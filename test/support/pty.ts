import { spawn } from 'node:child_process';

/**
 * Runs a command in a real pseudo-terminal (Python's `pty` module: there is no node-pty here) and
 * types into it as a person would, waiting for each prompt first. The transcript is everything the
 * terminal showed, including what the terminal itself echoes when echo is on: a program that leaves
 * echo on shows the typed secret there. After the command, `stty -a` prints the terminal's modes,
 * so a test can see that the program left it as it found it.
 */

export interface PtyStep {
  /** Text to wait for in the output (after the previous step's). */
  waitFor: string;
  /** What to type, key by key. */
  type: string;
}

export interface PtyRun {
  transcript: string;
  exitCode: number | undefined;
  /** `stty -a` after the command: the terminal's modes as the command left them. */
  sttyAfter: string;
}

const PYTHON = String.raw`
import json, os, pty, select, sys, time
spec = json.loads(sys.stdin.read())
argv = ['/bin/sh', '-c', '"$@"; echo "[exit=$?]"; stty -a', 'sh'] + spec['argv']
pid, fd = pty.fork()
if pid == 0:
    os.chdir(spec['cwd'])
    os.execve(argv[0], argv, spec['env'])
out = b''
def read_some(deadline):
    global out
    left = deadline - time.time()
    if left <= 0:
        return False
    r, _, _ = select.select([fd], [], [], min(left, 0.2))
    if r:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            return False
        if not chunk:
            return False
        out += chunk
    return True
seen = 0
for step in spec['steps']:
    want = step['waitFor'].encode()
    deadline = time.time() + spec['timeout']
    while out.find(want, seen) < 0 and read_some(deadline):
        pass
    at = out.find(want, seen)
    if at < 0:
        break
    seen = at + len(want)
    time.sleep(0.05)
    for ch in step['type']:
        os.write(fd, ch.encode())
        time.sleep(0.003)
deadline = time.time() + spec['timeout']
while read_some(deadline):
    pass
try:
    os.kill(pid, 9)
except OSError:
    pass
os.waitpid(pid, 0)
sys.stdout.write(out.decode('utf-8', 'replace'))
`;

/** Runs `argv` in a pseudo-terminal, typing `steps`; resolves with the terminal's transcript. */
export function runInPty(argv: string[], steps: PtyStep[], o: { cwd: string; env: NodeJS.ProcessEnv; timeoutSeconds?: number }): Promise<PtyRun> {
  return new Promise((resolve, reject) => {
    const child = spawn('python3', ['-c', PYTHON], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (s: string) => (out += s));
    child.on('error', reject);
    child.on('close', () => {
      const exit = /\[exit=(\d+)\]/.exec(out);
      const at = exit ? out.indexOf(exit[0]) : out.length;
      resolve({ transcript: out.slice(0, at), exitCode: exit ? Number(exit[1]) : undefined, sttyAfter: out.slice(at) });
    });
    child.stdin.end(JSON.stringify({ argv, steps, cwd: o.cwd, env: o.env, timeout: o.timeoutSeconds ?? 20 }));
  });
}

/** Whether `stty -a` output shows a terminal in its normal (cooked) mode: echo and line editing on. */
export function isCookedMode(stty: string): boolean {
  const flags = new Set(stty.split(/[\s;]+/));
  return flags.has('echo') && flags.has('icanon') && flags.has('isig');
}
