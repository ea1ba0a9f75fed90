// Records every HTTP/2 session the SDK opens (its negotiated protocol: "h2c" for
// cleartext with prior knowledge), so a test can tell the requests went over HTTP/2.
import http2 from "node:http2";

export const sessions = [];
const connect = http2.connect;
http2.connect = (...args) => {
  const session = connect(...args);
  session.once("connect", () => sessions.push(session.alpnProtocol));
  return session;
};
