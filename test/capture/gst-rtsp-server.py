"""A GStreamer RTSP server for the RTSP client's pull tests: one mount, /call, serving a 440 Hz tone as PCMU (payload
type 0) to every client that DESCRIBEs it, on 127.0.0.1 and the port given as the only argument. No authentication:
GstRtspServer's auth API is awkward from Python (tokens cannot be built through gi), so Digest is tested by the push
tests against our own server. Prints "ready" once listening, so the test knows when to connect.

Run with Debian's python3 (python3-gi, gir1.2-gst-rtsp-server-1.0): /usr/bin/python3 gst-rtsp-server.py 8554
"""
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402

Gst.init(None)
port = sys.argv[1]
server = GstRtspServer.RTSPServer()
server.set_address("127.0.0.1")
server.set_service(port)

factory = GstRtspServer.RTSPMediaFactory()
# is-live paces the tone at real time; max-ptime (ns) makes 20 ms packets as telephony sends them, where the payloader
# would otherwise fill its MTU (about 180 ms); shared=False gives each (re)connecting client its own pipeline.
factory.set_launch(
    "( audiotestsrc is-live=true wave=sine freq=440 volume=0.5 samplesperbuffer=160 ! audio/x-raw,rate=8000,channels=1"
    " ! mulawenc ! rtppcmupay name=pay0 pt=0 max-ptime=20000000 )"
)
factory.set_shared(False)
server.get_mount_points().add_factory("/call", factory)
if server.attach(None) == 0:
    sys.exit("could not listen on 127.0.0.1:" + port)
print("ready", flush=True)
GLib.MainLoop().run()
