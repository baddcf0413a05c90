// The DKIM rows of bench/run.sh (a benchmark, not a test), with
// nodemailer's DKIM signer (nodemailer/lib/dkim, what its dkim option runs).
//
//   node bench/node/dkim_rate.mjs rate KEY MESSAGE WARMUP MAX_COUNT SECONDS
//       After WARMUP messages, neither timed nor counted, until MAX_COUNT
//       messages are signed or SECONDS have passed: signs the message of
//       the file MESSAGE (read into memory once) with a new DKIM signer for
//       each message, as a transport with the dkim option makes one, and
//       reads the signed stream to its end. Prints
//         impl=... messages=N seconds=S cpu=C
//   node bench/node/dkim_rate.mjs file KEY MESSAGE FILE_BYTES
//       Signs the message of the file MESSAGE, streamed from it, with the
//       body held in a temporary folder beyond nodemailer's 10 MB
//       threshold, and reads the signed stream to its end. Prints
//         impl=... bytes=FILE_BYTES seconds=S cpu=C peak_rss_kb=K
//
// KEY is a PEM private key, for d=example.com, s=bench (nodemailer signs
// relaxed/relaxed). nodemailer signs with RSA only: given another key it
// leaves the message unsigned, and this prints "impl=... unavailable=...".
// The first failure goes to stderr, exit status 1.

import { createReadStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';

const require = createRequire(import.meta.url);
const DKIM = require('nodemailer/lib/dkim');
const version = require('nodemailer/package.json').version;
const impl = `nodemailer_${version}_(Node.js_${process.versions.node})`;

const [mode, keyPath, messagePath, ...rest] = process.argv.slice(2);
if (!(mode === 'rate' && rest.length === 3) && !(mode === 'file' && rest.length === 1)) {
    process.stderr.write('usage: node dkim_rate.mjs rate KEY MESSAGE WARMUP MAX_COUNT SECONDS\n'
        + '       node dkim_rate.mjs file KEY MESSAGE FILE_BYTES\n');
    process.exit(2);
}
const privateKey = readFileSync(keyPath, 'utf8');
const cacheDir = mkdtempSync(join(tmpdir(), 'bench-dkim-'));

// Signs `input` (a Buffer or a stream); resolves to the signed message's
// first bytes once the whole of it has been read.
const sign = async input => {
    const signer = new DKIM({ domainName: 'example.com', keySelector: 'bench', privateKey, cacheDir });
    const signed = signer.sign(input);
    let first = null;
    signed.on('data', chunk => { first ??= chunk; });
    await once(signed, 'end');
    return first;
};

const seconds = start => Number(process.hrtime.bigint() - start) / 1e9;
const cpuSeconds = start => {
    const used = process.cpuUsage(start);
    return (used.user + used.system) / 1e6;
};

try {
    if (mode === 'rate') {
        const message = readFileSync(messagePath);
        const [warmup, maxCount, budget] = rest.map(Number);
        const first = await sign(message);
        if (!first.toString('latin1').startsWith('DKIM-Signature:')) {
            console.log(`impl=${impl} unavailable=nodemailer_signs_with_RSA_keys_only`);
        } else {
            for (let i = 1; i < warmup; i++) await sign(message);
            let signed = 0;
            const start = process.hrtime.bigint();
            const startCpu = process.cpuUsage();
            do {
                await sign(message);
                signed++;
            } while (signed < maxCount && seconds(start) < budget);
            console.log(`impl=${impl} messages=${signed} seconds=${seconds(start).toFixed(6)}`
                + ` cpu=${cpuSeconds(startCpu).toFixed(6)}`);
        }
    } else {
        const start = process.hrtime.bigint();
        const startCpu = process.cpuUsage();
        await sign(createReadStream(messagePath, { highWaterMark: 65536 }));
        const took = seconds(start).toFixed(6);
        const peak = /VmHWM:\s*(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 'NA';
        console.log(`impl=${impl} bytes=${rest[0]} seconds=${took} cpu=${cpuSeconds(startCpu).toFixed(6)}`
            + ` peak_rss_kb=${peak}`);
    }
} catch (e) {
    process.stderr.write(`signing failed: ${e.message}\n`);
    process.exitCode = 1;
} finally {
    rmSync(cacheDir, { recursive: true, force: true });
}
