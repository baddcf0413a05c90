// The compose row of bench/run.sh (a benchmark, not a test), with nodemailer.
//
//   node bench/node/compose_rate.mjs PORT FIXTURE_DIR ATTACHMENT WARMUP MAX_COUNT SECONDS
//
// After WARMUP messages, neither timed nor counted (the first few take
// several times as long: lazy loading, the JIT), until MAX_COUNT messages
// are sent or SECONDS have passed: one sendMail per
// message on a transport with pool = false (so a new SMTP connection each)
// to 127.0.0.1:PORT, composing the message of FIXTURE_DIR (bench/compose:
// fields, text.txt, body.html) with the bytes of the file ATTACHMENT, read
// into memory once, as its attachment. Prints
//   impl=... messages=N seconds=S cpu=C
// like bench/send_rate.lua. The first failure goes to stderr, exit status 1.
// nodemailer comes from bench/node/node_modules (npm ci, run by make bench).

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import nodemailer from 'nodemailer';

const [port, dir, attachment, warmup, maxCount, seconds] = process.argv.slice(2);
if (!seconds) {
    process.stderr.write('usage: node compose_rate.mjs PORT FIXTURE_DIR ATTACHMENT WARMUP MAX_COUNT SECONDS\n');
    process.exit(2);
}

const fields = {};
for (const line of readFileSync(join(dir, 'fields'), 'utf8').split('\n')) {
    const m = /^([\w]+):\s*(.*?)\s*$/.exec(line);
    if (m) fields[m[1]] = m[2];
}
const text = readFileSync(join(dir, 'text.txt'), 'utf8');
const html = readFileSync(join(dir, 'body.html'), 'utf8');
const data = readFileSync(attachment);

// ignoreTLS: no STARTTLS even if offered; name: "localhost" in EHLO, as the
// other clients say.
const transport = nodemailer.createTransport({
    host: '127.0.0.1', port: Number(port), secure: false, ignoreTLS: true,
    pool: false, name: 'localhost',
});

const version = createRequire(import.meta.url)('nodemailer/package.json').version;

// The envelope from the from and to fields, as the others do.
const sendOne = () => transport.sendMail({
    from: fields.from, to: fields.to, subject: fields.subject, text, html,
    attachments: [{
        filename: fields.attachment_filename, content: data,
        contentType: fields.attachment_content_type,
    }],
});

try {
    for (let i = 0; i < Number(warmup); i++) await sendOne();
    let sent = 0;
    const start = process.hrtime.bigint();
    const startCpu = process.cpuUsage();
    const elapsed = () => Number(process.hrtime.bigint() - start) / 1e9;
    do {
        await sendOne();
        sent++;
    } while (sent < Number(maxCount) && elapsed() < Number(seconds));
    const cpu = process.cpuUsage(startCpu);
    console.log(`impl=nodemailer_${version}_(Node.js_${process.versions.node}) messages=${sent} ` +
        `seconds=${elapsed().toFixed(6)} cpu=${((cpu.user + cpu.system) / 1e6).toFixed(6)}`);
} catch (e) {
    process.stderr.write(`${e.message.split('\n')[0]}\n`);
    process.exit(1);
}
