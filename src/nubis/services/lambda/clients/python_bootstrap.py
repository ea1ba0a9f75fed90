"""nubis's runtime interface client for Python functions.

Started by nubis as the environment's process, it speaks the Lambda Runtime
API (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html): import
the handler named by ``_HANDLER`` once, then loop: fetch the next event, call
the handler with the event and a context object, post the result or the error.
It uses only the standard library, over one keep-alive connection.
"""
import http.client
import importlib
import json
import logging
import os
import socket
import sys
import time
import traceback

# Ends an invocation's output, so that nubis knows all of its lines are in.
END_MARK = "\x1fnubis-lambda-end "
ROOT = "/2018-06-01/runtime"


class RuntimeApi:
    def __init__(self, address):
        host, _, port = address.rpartition(":")
        self.conn = http.client.HTTPConnection(host, int(port))

    def call(self, method, path, body=None, headers=None):
        for attempt in (0, 1):
            try:
                if self.conn.sock is None:
                    self.conn.connect()
                    # http.client sends a body apart from its headers: without
                    # this, Nagle holds the body back for the server's ACK.
                    self.conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                self.conn.request(method, ROOT + path, body=body, headers=headers or {})
                response = self.conn.getresponse()
                return response, response.read()
            except (http.client.HTTPException, ConnectionError):
                self.conn.close()
                if attempt:
                    raise


class Client:
    """The mobile client in a ClientContext (Lambda's context.client_context.client)."""

    def __init__(self, doc):
        self.installation_id = doc.get("installation_id")
        self.app_title = doc.get("app_title")
        self.app_version_name = doc.get("app_version_name")
        self.app_version_code = doc.get("app_version_code")
        self.app_package_name = doc.get("app_package_name")


class ClientContext:
    def __init__(self, doc):
        self.client = Client(doc["client"]) if doc.get("client") else None
        self.custom = doc.get("custom")
        self.env = doc.get("env")


class CognitoIdentity:
    def __init__(self, doc):
        self.cognito_identity_id = doc.get("cognitoIdentityId")
        self.cognito_identity_pool_id = doc.get("cognitoIdentityPoolId")


class LambdaContext:
    def __init__(self, request_id, deadline_ms, arn, client_context, identity):
        self.aws_request_id = request_id
        self.invoked_function_arn = arn
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.client_context = ClientContext(client_context) if client_context else None
        self.identity = CognitoIdentity(identity or {})
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self):
        return max(0, int(self._deadline_ms - time.time() * 1000))


class _RequestIdFilter(logging.Filter):
    request_id = ""

    def filter(self, record):
        record.aws_request_id = self.request_id
        return True


class _JsonFormatter(logging.Formatter):
    """A record as one JSON object: Lambda's JSON log format."""

    def format(self, record):
        doc = {"timestamp": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
                            + f".{int(record.msecs):03d}Z",
               "level": record.levelname, "message": record.getMessage(), "logger": record.name,
               "requestId": getattr(record, "aws_request_id", "")}
        if record.exc_info and record.exc_info[0] is not None:
            doc.update(errorType=record.exc_info[0].__name__, errorMessage=str(record.exc_info[1]),
                       stackTrace=traceback.format_tb(record.exc_info[2]))
        return json.dumps(doc, default=str)


_LEVELS = {"TRACE": 5, "DEBUG": logging.DEBUG, "INFO": logging.INFO, "WARN": logging.WARNING,
           "ERROR": logging.ERROR, "FATAL": logging.CRITICAL}


def _setup_logging():
    handler = logging.StreamHandler(sys.stdout)
    root = logging.getLogger()
    if os.environ.get("AWS_LAMBDA_LOG_FORMAT") == "JSON":
        handler.setFormatter(_JsonFormatter())
        root.setLevel(_LEVELS.get(os.environ.get("AWS_LAMBDA_LOG_LEVEL", "INFO"), logging.INFO))
    else:
        # Lambda's Python runtime logs "[LEVEL]\t<time>\t<request id>\t<message>".
        formatter = logging.Formatter("[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s",
                                      "%Y-%m-%dT%H:%M:%S")
        formatter.converter = time.gmtime
        handler.setFormatter(formatter)
        root.setLevel(logging.WARNING)
    request_filter = _RequestIdFilter()
    handler.addFilter(request_filter)
    root.addHandler(handler)
    return request_filter


class InitError(Exception):
    def __init__(self, kind, message, trace=()):
        super().__init__(message)
        self.kind = kind
        self.trace = list(trace)


def error_document(e, kind=None, trace=None):
    if trace is None:
        trace = traceback.format_list(traceback.extract_tb(e.__traceback__)[1:])
    return {"errorMessage": str(e), "errorType": kind or type(e).__name__, "requestId": "", "stackTrace": trace}


def load_handler(spec):
    try:
        module_path, function_name = spec.rsplit(".", 1)
    except ValueError as e:
        raise InitError("Runtime.MalformedHandlerName", f"Bad handler '{spec}': {e}")
    module_name = module_path.replace("/", ".")
    try:
        module = importlib.import_module(module_name)
    except ImportError as e:
        raise InitError("Runtime.ImportModuleError", f"Unable to import module '{module_name}': {e}")
    except SyntaxError as e:
        raise InitError("Runtime.UserCodeSyntaxError", f"Syntax error in module '{module_name}': {e}",
                        [f'  File "{e.filename}" Line {e.lineno}\n    {(e.text or "").strip()}\n'])
    except Exception as e:
        raise InitError(type(e).__name__, str(e),
                        traceback.format_list(traceback.extract_tb(e.__traceback__)[1:]))
    handler = getattr(module, function_name, None)
    if handler is None:
        raise InitError("Runtime.HandlerNotFound", f"Handler '{function_name}' missing on module '{module_name}'")
    return handler


def end_output(request_id):
    sys.stderr.flush()
    sys.stdout.write(END_MARK + request_id + "\n")
    sys.stdout.flush()


def _json_header(value):
    return json.loads(value) if value else None


def main():
    # This file's own directory is not the function's business.
    if sys.path and os.path.abspath(sys.path[0]) == os.path.dirname(os.path.abspath(__file__)):
        del sys.path[0]
    extra = [os.environ.get("LAMBDA_TASK_ROOT", os.getcwd()), "/opt/python",
             f"/opt/python/lib/python{sys.version_info[0]}.{sys.version_info[1]}/site-packages"]
    opt = os.environ.get("NUBIS_LAMBDA_OPT")
    if opt:  # layers live under this environment's own /opt
        extra[1:] = [os.path.join(opt, "python"),
                     os.path.join(opt, f"python/lib/python{sys.version_info[0]}.{sys.version_info[1]}/site-packages")]
    sys.path[0:0] = extra
    # Line by line, as Lambda's runtime writes them: what a function printed
    # before it timed out still reaches its log.
    sys.stdout.reconfigure(line_buffering=True)
    sys.stderr.reconfigure(line_buffering=True)
    api = RuntimeApi(os.environ["AWS_LAMBDA_RUNTIME_API"])
    request_filter = _setup_logging()
    try:
        handler = load_handler(os.environ["_HANDLER"])
    except InitError as e:
        doc = error_document(e, e.kind, e.trace)
        print(f"[ERROR] {e.kind}: {e}", flush=True)
        api.call("POST", "/init/error", json.dumps(doc).encode(),
                 {"Lambda-Runtime-Function-Error-Type": e.kind, "Content-Type": "application/json"})
        sys.exit(1)
    while True:
        response, body = api.call("GET", "/invocation/next")
        headers = response.headers
        request_id = headers["Lambda-Runtime-Aws-Request-Id"]
        request_filter.request_id = request_id
        trace = headers.get("Lambda-Runtime-Trace-Id")
        if trace:
            os.environ["_X_AMZN_TRACE_ID"] = trace
        else:
            os.environ.pop("_X_AMZN_TRACE_ID", None)
        context = LambdaContext(request_id, int(headers.get("Lambda-Runtime-Deadline-Ms", "0")),
                                headers.get("Lambda-Runtime-Invoked-Function-Arn"),
                                _json_header(headers.get("Lambda-Runtime-Client-Context")),
                                _json_header(headers.get("Lambda-Runtime-Cognito-Identity")))
        try:
            event = json.loads(body) if body else {}
            result = handler(event, context)
            try:
                out = json.dumps(result).encode()
            except (TypeError, ValueError) as e:
                raise InitError("Runtime.MarshalError", f"Unable to marshal response: {e}")
        except Exception as e:
            kind = e.kind if isinstance(e, InitError) else None
            doc = error_document(e, kind)
            doc["requestId"] = request_id
            # Lambda's runtime logs the error as a JSON line of its own.
            print(f"[ERROR] {doc['errorType']}: {doc['errorMessage']}", flush=True)
            end_output(request_id)
            api.call("POST", f"/invocation/{request_id}/error", json.dumps(doc).encode(),
                     {"Lambda-Runtime-Function-Error-Type": doc["errorType"], "Content-Type": "application/json"})
            continue
        end_output(request_id)
        api.call("POST", f"/invocation/{request_id}/response", out, {"Content-Type": "application/json"})


def await_assignment():
    """A spare (nubis's ``spares.py``): started before its function was known, it takes
    on the environment's variables and code directory, as if it had started with them."""
    doc = json.loads(sys.stdin.buffer.read() or b"null")
    if not doc:  # nubis stopped the spare
        sys.exit(0)
    fd = os.open(os.devnull, os.O_RDONLY)
    os.dup2(fd, 0)
    os.close(fd)
    os.environ.clear()
    os.environ.update(doc["env"])
    time.tzset()
    if "tempfile" in sys.modules:  # it keeps the TMPDIR it first saw
        sys.modules["tempfile"].tempdir = None
    os.chdir(doc["cwd"])


if __name__ == "__main__":
    if sys.argv[1:] == ["--spare"]:
        await_assignment()
    main()
