// nubis's runtime interface client for Node.js functions.
//
// Started by nubis as the environment's process, it speaks the Lambda Runtime
// API (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html): load
// the handler named by _HANDLER once (CommonJS or an ES module), then loop:
// fetch the next event, call the handler (async or callback style), post the
// result or the error. Only Node's own modules, over one keep-alive connection.
// A handler wrapped in awslambda.streamifyResponse streams its response: it is
// posted as it is written, chunked, with the Runtime API's streaming mode.
"use strict";
const http = require("http");
const path = require("path");
const fs = require("fs");
const url = require("url");
const util = require("util");

const [HOST, PORT] = (() => {
  const api = process.env.AWS_LAMBDA_RUNTIME_API;
  const i = api.lastIndexOf(":");
  return [api.slice(0, i), Number(api.slice(i + 1))];
})();
const ROOT = "/2018-06-01/runtime";
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function call(method, p, body, headers) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: HOST, port: PORT, method, path: ROOT + p, agent, headers: headers || {} }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
      res.on("error", reject);
    });
    req.on("error", reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

let currentRequestId = "";
// Lambda's Node runtime prefixes each console line with time, request id and
// level; with the JSON log format, each line is a JSON object, filtered by level.
const JSON_LOGS = process.env.AWS_LAMBDA_LOG_FORMAT === "JSON";
const LEVELS = { TRACE: 0, DEBUG: 1, INFO: 2, WARN: 3, ERROR: 4, FATAL: 5 };
const MIN_LEVEL = JSON_LOGS ? (LEVELS[process.env.AWS_LAMBDA_LOG_LEVEL] ?? 2) : 0;
for (const [name, level] of [["log", "INFO"], ["info", "INFO"], ["warn", "WARN"], ["error", "ERROR"], ["debug", "DEBUG"], ["trace", "TRACE"]]) {
  const stream = name === "warn" || name === "error" ? process.stderr : process.stdout;
  console[name] = (...args) => {
    if (LEVELS[level] < MIN_LEVEL) return;
    const text = util.format(...args);
    if (JSON_LOGS) {
      stream.write(JSON.stringify({ timestamp: new Date().toISOString(), level, requestId: currentRequestId, message: text }) + "\n");
    } else {
      stream.write(`${new Date().toISOString()}\t${currentRequestId || "undefined"}\t${level}\t${text.replace(/\n/g, "\r")}\n`);
    }
  };
}

// The global Lambda's Node.js runtime gives streaming handlers.
const STREAMING = Symbol.for("aws.lambda.runtime.handler.streaming");
const HTTP_INTEGRATION = "application/vnd.awslambda.http-integration-response";
globalThis.awslambda = {
  streamifyResponse(handler) {
    handler[STREAMING] = "response";
    return handler;
  },
  HttpResponseStream: {
    // A function URL's status, headers and cookies: a JSON prelude, then 8 NUL bytes, then the body.
    from(stream, prelude) {
      stream.setContentType(HTTP_INTEGRATION);
      stream.write(JSON.stringify(prelude || {}));
      stream.write(Buffer.alloc(8));
      return stream;
    },
  },
};

// The response stream a streaming handler writes to: a chunked POST of
// /invocation/{id}/response, opened on its first write.
function responseStream(requestId) {
  const { Writable } = require("stream");
  let contentType = "application/octet-stream";
  let req = null;
  let answered = null;
  const open = () => {
    if (req) return req;
    req = http.request({
      host: HOST, port: PORT, method: "POST", path: `${ROOT}/invocation/${requestId}/response`, agent,
      headers: {
        "Content-Type": contentType, "Transfer-Encoding": "chunked",
        "Lambda-Runtime-Function-Response-Mode": "streaming",
        Trailer: "Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body",
      },
    });
    answered = new Promise((resolve, reject) => {
      req.on("response", (res) => { res.resume(); res.on("end", resolve); });
      req.on("error", reject);
    });
    req.flushHeaders();
    return req;
  };
  const stream = new Writable({
    write(chunk, encoding, callback) {
      open().write(chunk, callback);
    },
    final(callback) {
      open().end(callback);
    },
  });
  stream.setContentType = (type) => { contentType = type; };
  stream.fail = (doc) => {
    open().addTrailers({
      "Lambda-Runtime-Function-Error-Type": doc.errorType,
      "Lambda-Runtime-Function-Error-Body": Buffer.from(JSON.stringify(doc)).toString("base64"),
    });
    return new Promise((resolve) => stream.end(resolve));
  };
  stream.done = () => answered || Promise.resolve();
  return stream;
}

async function invokeStreaming(handler, event, context, requestId) {
  const stream = responseStream(requestId);
  try {
    await handler(event, stream, context);
    if (!stream.writableEnded) await new Promise((resolve) => stream.end(resolve));
  } catch (e) {
    const doc = errorDocument(e);
    console.error(`Invoke Error \t${JSON.stringify(doc)}`);
    await flushed(requestId);
    await stream.fail(doc);
    await stream.done();
    return;
  }
  await flushed(requestId);
  await new Promise((resolve) => stream.end(resolve));
  await stream.done();
}

class InitError extends Error {
  constructor(kind, message) { super(message); this.name = kind; }
}

function errorDocument(e) {
  if (!(e instanceof Error)) {
    return { errorType: "string", errorMessage: String(e), trace: [] };
  }
  return { errorType: e.name || "Error", errorMessage: e.message, trace: (e.stack || "").split("\n") };
}

async function loadHandler(spec) {
  const root = process.env.LAMBDA_TASK_ROOT || process.cwd();
  const dot = spec.lastIndexOf(".");
  if (dot < 0) throw new InitError("Runtime.MalformedHandlerName", `Bad handler ${spec}`);
  const modulePath = spec.slice(0, dot);
  const chain = spec.slice(dot + 1);
  const base = path.resolve(root, modulePath);
  let mod;
  const file = [".js", ".mjs", ".cjs"].map((ext) => base + ext).find((f) => fs.existsSync(f));
  if (file === undefined) {
    throw new InitError("Runtime.ImportModuleError", `Error: Cannot find module '${modulePath}'`);
  }
  try {
    if (file.endsWith(".mjs")) {
      mod = await import(url.pathToFileURL(file).href);
    } else {
      try {
        mod = require(file);
      } catch (e) {
        if (e && e.code === "ERR_REQUIRE_ESM") mod = await import(url.pathToFileURL(file).href);
        else throw e;
      }
    }
  } catch (e) {
    if (e instanceof SyntaxError) throw new InitError("Runtime.UserCodeSyntaxError", `${e.name}: ${e.message}`);
    throw new InitError("Runtime.ImportModuleError", `${e.name}: ${e.message}`);
  }
  let handler = mod;
  for (const part of chain.split(".")) handler = handler == null ? undefined : handler[part];
  if (handler === undefined && mod && mod.default) {
    handler = mod.default;
    for (const part of chain.split(".")) handler = handler == null ? undefined : handler[part];
  }
  if (typeof handler !== "function") {
    throw new InitError("Runtime.HandlerNotFound", `${spec} is undefined or not exported`);
  }
  return handler;
}

function invokeHandler(handler, event, context) {
  return new Promise((resolve, reject) => {
    let done = false;
    const callback = (err, result) => {
      if (done) return;
      done = true;
      if (err !== undefined && err !== null) reject(err);
      else resolve(result);
    };
    context.done = callback;
    context.succeed = (r) => callback(null, r);
    context.fail = (e) => callback(e || new Error("handled"));
    try {
      const out = handler(event, context, callback);
      if (out && typeof out.then === "function") out.then((r) => callback(null, r), (e) => callback(e));
      else if (handler.length < 3) callback(null, out);
    } catch (e) {
      callback(e);
    }
  });
}

// Ends an invocation's output, so that nubis knows all of its lines are in.
const END_MARK = "\x1fnubis-lambda-end ";

function flushed(requestId) {
  return new Promise((resolve) => process.stderr.write("", () =>
    process.stdout.write(requestId === undefined ? "" : `${END_MARK}${requestId}\n`, resolve)));
}

async function main() {
  let handler;
  try {
    handler = await loadHandler(process.env._HANDLER || "index.handler");
  } catch (e) {
    const doc = errorDocument(e);
    if (!(e instanceof InitError)) doc.errorType = "Runtime.ImportModuleError";
    console.error(`${doc.errorType}: ${doc.errorMessage}`);
    await flushed();
    await call("POST", "/init/error", JSON.stringify(doc), {
      "Content-Type": "application/json", "Lambda-Runtime-Function-Error-Type": doc.errorType,
    });
    process.exit(1);
  }
  for (;;) {
    const next = await call("GET", "/invocation/next");
    const h = next.headers;
    const requestId = h["lambda-runtime-aws-request-id"];
    currentRequestId = requestId;
    if (h["lambda-runtime-trace-id"]) process.env._X_AMZN_TRACE_ID = h["lambda-runtime-trace-id"];
    else delete process.env._X_AMZN_TRACE_ID;
    const deadline = Number(h["lambda-runtime-deadline-ms"] || 0);
    const context = {
      awsRequestId: requestId,
      invokedFunctionArn: h["lambda-runtime-invoked-function-arn"],
      functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
      functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
      memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
      logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
      logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
      clientContext: h["lambda-runtime-client-context"] ? JSON.parse(h["lambda-runtime-client-context"]) : undefined,
      identity: h["lambda-runtime-cognito-identity"] ? JSON.parse(h["lambda-runtime-cognito-identity"]) : undefined,
      callbackWaitsForEmptyEventLoop: true,
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    };
    if (handler[STREAMING] === "response") {
      const event = next.body.length ? JSON.parse(next.body.toString("utf8")) : {};
      await invokeStreaming(handler, event, context, requestId);
      continue;
    }
    let result;
    try {
      const event = next.body.length ? JSON.parse(next.body.toString("utf8")) : {};
      result = await invokeHandler(handler, event, context);
    } catch (e) {
      const doc = errorDocument(e);
      console.error(`Invoke Error \t${JSON.stringify(doc)}`);
      await flushed(requestId);
      await call("POST", `/invocation/${requestId}/error`, JSON.stringify(doc), {
        "Content-Type": "application/json", "Lambda-Runtime-Function-Error-Type": doc.errorType,
      });
      continue;
    }
    await flushed(requestId);
    const body = result === undefined ? "null" : JSON.stringify(result);
    await call("POST", `/invocation/${requestId}/response`, body, { "Content-Type": "application/json" });
  }
}

main().catch((e) => {
  process.stderr.write(`nubis runtime client failed: ${e && e.stack}\n`);
  process.exit(1);
});
