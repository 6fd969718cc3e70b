"""A real HTTP server on 127.0.0.1 for the URL-import tests.

It serves realistic pages plus every misbehaviour the fetcher must survive:
error statuses, redirect loops, servers that trickle or hang, huge bodies, a
gzip bomb, binary files and mislabelled charsets.  Usage::

    with LocalServer() as server:
        fetch(server.url("/article.html"))
"""

from __future__ import annotations

import html
import struct
import threading
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import cycle
from pathlib import Path
from urllib.parse import urlsplit

DATA = Path(__file__).parent / "data"
SAMPLE = DATA / "meta-llama-turnover.txt"
HUGE_BYTES = 12 * 1024 * 1024
BOMB_BYTES = 200 * 1024 * 1024
JS_MESSAGE = "Please enable JavaScript to view this site."

# Three short news stories for the feed and sitemap: (slug date, title, author, paragraphs).
NEWS: list[tuple[str, str, str, list[str]]] = [
    ("2025-03-04", "Harbor City approves riverside library after decade-long campaign", "Lena Hartmann", [
        "Harbor City Council voted seven to two on Tuesday night to build a new public library on the former ferry terminal site, ending a campaign that residents of the riverside district began more than ten years ago.",
        "Mayor Elena Vasquez called the vote \"a promise finally kept\" and said construction could start next spring. The project, budgeted at 48 million dollars, will be built by Northgate Builders, the firm that renovated the city's central station in 2019.",
        "Head librarian Tomasz Nowak, who has run the cramped branch on Mill Street since 2008, said the new building would triple the space for children's programmes and add a workshop where people can learn to repair electronics. \"Our queue for homework help goes out the door every afternoon,\" Nowak said.",
        "Not everyone is pleased. The Riverside Heritage Trust, led by historian Margaret Osei, argued that the terminal's 1920s waiting hall should be restored rather than demolished. After weeks of negotiation the council agreed to keep the hall's facade and clock tower as the library's main entrance.",
        "Councillors Daniel Brooks and Fatima Rahman voted against the plan, citing rising interest rates. Brooks said the city should first repair the roads around the site. The council's finance committee will publish a detailed funding schedule in May, and public consultations on the interior design begin next month at the Mill Street branch.",
    ]),
    ("2025-03-11", "Solvane Robotics names aerospace engineer Priya Raman chief executive", "Jonas Berg", [
        "Solvane Robotics, the warehouse automation company based in Gothenburg, has appointed Priya Raman as chief executive, the company announced on Monday. Raman replaces co-founder Erik Lindholm, who will remain on the board as chief technology adviser.",
        "Raman spent fourteen years at Orbital Dynamics, where she led the team that designed the guidance software for its cargo drones. Board chair Marcus Feld said her experience bringing complex machines from prototype to mass production was decisive. \"Solvane has brilliant engineers; now we need to ship robots by the thousand,\" Feld said.",
        "The appointment follows a difficult year. Solvane lost its largest customer, the logistics group Nordfrakt, after delays in delivering its second-generation picking arm, and it cut about eighty jobs in the autumn. Its main investor, Lindqvist Capital, injected a further 60 million euros in January on condition that the company strengthen its leadership.",
        "Analysts welcomed the choice. Sofia Andersson of the research firm Kestrel Insights said Raman was known for blunt project reviews and realistic deadlines, which Solvane's customers had been asking for. Employees were told in a town hall meeting that no further layoffs are planned.",
        "Raman starts on April 1. Her first task, she told staff, will be to visit every customer site in person before setting new delivery targets for the summer.",
    ]),
    ("2025-03-18", "Calder Institute divers record fastest coral recovery in twenty years", "Ama Mensah", [
        "Marine biologists from the Calder Institute say reefs off the northern cape have regrown faster over the past two years than at any time since monitoring began in 2005, a finding they credit to a local fishing ban and cooler water.",
        "Dr. Amara Okafor, who leads the institute's reef programme, said her team counted twice as many young coral colonies per square metre as in its 2022 survey. \"We expected a slow crawl back. Instead some of the plots look like they did before the bleaching,\" Okafor said at a press briefing.",
        "The recovery coincides with a ban on trap fishing introduced by the Ministry of Fisheries in 2023 after lobbying by the Pacific Reef Alliance, a coalition of dive operators and village councils. Alliance spokesperson Rangi Walker said fishermen had been compensated with jobs in reef monitoring and tourism.",
        "Other scientists urge caution. Professor Henrik Sato of Westbay University, who was not involved in the study, noted that two mild summers may explain much of the gain and that a single marine heatwave could undo it. The institute plans to publish its full data set in a peer-reviewed journal later this year.",
        "Okafor's team will return to the reefs in September with volunteers from local schools, who will help photograph the survey plots and upload the images to a public archive.",
    ]),
]


def _page(title: str, inner: str, *, extra_head: str = "") -> str:
    """Wrap article HTML in the chrome real news sites have around it."""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)} | The Daily Ledger</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/static/site.css">{extra_head}
<script>window.dataLayer = window.dataLayer || []; dataLayer.push({{"event": "pageview"}});</script>
</head><body>
<div id="cookie-banner" class="consent"><p>We use cookies to personalise content and ads and to analyse our traffic.
By clicking "Accept all" you agree to our use of cookies.</p><button>Accept all</button> <button>Manage preferences</button></div>
<header class="site-header"><a class="logo" href="/">The Daily Ledger</a>
<nav><ul><li><a href="/markets">Markets</a></li><li><a href="/tech">Technology</a></li><li><a href="/ai">AI</a></li>
<li><a href="/opinion">Opinion</a></li><li><a href="/newsletter">Newsletter</a></li><li><a href="/login">Sign in</a></li></ul></nav></header>
<main>{inner}</main>
<footer class="site-footer"><ul><li><a href="/about">About us</a></li><li><a href="/contact">Contact</a></li>
<li><a href="/privacy">Privacy policy</a></li><li><a href="/terms">Terms of use</a></li></ul>
<p>&copy; 2025 The Daily Ledger Media Group. All rights reserved.</p></footer>
<script src="/static/app.js" defer></script></body></html>
"""


def _paragraphs(paras: list[str]) -> str:
    out = []
    for p in paras:
        # Short lines without a closing full stop are the source's sub-headings.
        is_heading = len(p) < 90 and not p.endswith((".", "\u201d", '"'))
        out.append(f"<h2>{html.escape(p)}</h2>" if is_heading else f"<p>{html.escape(p)}</p>")
    return "\n".join(out)


def build_article_page() -> str:
    """The sample article from tests/data, with nav, banner, teasers and comments around it."""
    blocks = [b.strip() for b in SAMPLE.read_text(encoding="utf-8").split("\n\n") if b.strip()]
    title, source = blocks[0], blocks[1]
    end = next(i for i, b in enumerate(blocks) if b.startswith("Cryptopolitan Academy"))
    body, promo = blocks[2:end], blocks[end]
    disclaimer, *tail = "\n".join(blocks[end + 1 :]).split("\nplaceholder\n")
    teasers = []
    for block in tail:
        lines = [ln.strip() for ln in block.splitlines() if ln.strip() and ln.strip() != "goTop"]
        headline, summary, date = lines[0], lines[-1], lines[2]
        if headline.endswith(summary):
            headline = headline[: -len(summary)].strip()
        teasers.append(f'<li><a href="/related/{len(teasers) + 1}.html">{html.escape(headline)}</a>'
                       f"<time>{html.escape(date)}</time><p>{html.escape(summary)}</p></li>")
    inner = f"""
<nav class="breadcrumbs"><a href="/">Home</a> &rsaquo; <a href="/ai">AI</a></nav>
<article class="story">
<h1>{html.escape(title)}</h1>
<p class="byline">By <span class="author">Newsroom Staff</span> &middot; <time datetime="2025-06-02T09:30:00Z">June 2, 2025</time>
&middot; <span class="source">{html.escape(source)}</span></p>
<div class="share"><a href="#">Share on X</a> <a href="#">Share on LinkedIn</a> <a href="#">Copy link</a></div>
{_paragraphs(body)}
</article>
<aside class="promo"><p>{html.escape(promo)}</p></aside>
<p class="disclaimer">{html.escape(disclaimer)}</p>
<aside class="related"><h3>Related articles</h3><ul>{"".join(teasers)}</ul></aside>
<section class="comments"><h3>Comments (3)</h3>
<div class="comment"><b>quantfan77</b><p>Great read, thanks. Talent always follows the open projects.</p></div>
<div class="comment"><b>Marta K.</b><p>Would love a follow-up on where the other authors went.</p></div>
<div class="comment"><b>anon</b><p>First!</p></div>
<form><textarea placeholder="Join the discussion"></textarea><button>Post comment</button></form></section>"""
    return _page(title, inner)


def build_news_page(index: int) -> str:
    date, title, author, paras = NEWS[index]
    inner = f"""<article><h1>{html.escape(title)}</h1>
<p class="byline">By <span class="author">{html.escape(author)}</span> &middot; <time datetime="{date}">{date}</time></p>
{_paragraphs(paras)}</article>
<aside class="related"><h3>Most read</h3><ul><li><a href="/news/1.html">{html.escape(NEWS[0][1])}</a></li></ul></aside>"""
    return _page(title, inner)


def build_gzip_bomb(size: int = BOMB_BYTES, fill: bytes = b" ") -> bytes:
    """Gzip of ``size`` bytes of ``fill`` (~1000:1), built in a fraction of a second.

    A full flush resets the compressor, so every 1 MB block compresses to the
    same bytes and can simply be repeated instead of compressing 200 MB.
    The default fill is spaces rather than NULs: NULs sniff as binary and
    would be refused after 4 KB, before the size limit is ever exercised.
    """
    block = 1024 * 1024
    data = fill * block
    comp = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    piece = comp.compress(data) + comp.flush(zlib.Z_FULL_FLUSH)
    tail = comp.flush(zlib.Z_FINISH)  # final empty block
    crc = 0
    for _ in range(size // block):
        crc = zlib.crc32(data, crc)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    return header + piece * (size // block) + tail + struct.pack("<II", crc, size & 0xFFFFFFFF)


def build_pdf() -> bytes:
    return (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj <</Type /Catalog /Pages 2 0 R>> endobj\n"
            b"2 0 obj <</Type /Pages /Kids [3 0 R] /Count 1>> endobj\n"
            b"3 0 obj <</Type /Page /Parent 2 0 R /MediaBox [0 0 612 792]>> endobj\n"
            b"trailer <</Size 4 /Root 1 0 R>>\n%%EOF\n")


def build_png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)  # 1x1 RGB
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0\xff\0\0")) + chunk(b"IEND", b"")


CP1252_TEXT = (
    "\u201cIt\u2019s the best caf\u00e9 on the harbour,\u201d said Ren\u00e9e Dupr\u00e9, who opened "
    "Caf\u00e9 Lumi\u00e8re in 1998 with her brother Andr\u00e9. Critics call the na\u00efve d\u00e9cor "
    "\u2018charming\u2019 and the cr\u00e8me br\u00fbl\u00e9e \u201cexcellent\u201d \u2013 the "
    "Gazette\u2019s reviewer gave it five stars. The fa\u00e7ade was restored last year."
)
LATIN1_TEXT = ("Der Bürgermeister von Málaga, José Núñez, traf sich mit Søren Ærø aus Ålborg "
               "und Françoise Lefèvre zum Gespräch über die Städtepartnerschaft.")


@dataclass
class Route:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[["_RequestHandler"], None]


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 30  # idle keep-alive connections end on their own
    server: _HTTPServer

    def do_GET(self) -> None:
        self.server.owner._dispatch(self)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass  # keep test output clean


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # never wait for /hang or /trickle handlers
    owner: LocalServer

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # clients hanging up mid-response is the point of several routes


class LocalServer:
    """ThreadingHTTPServer on 127.0.0.1:<free port> in a daemon thread."""

    def __init__(self) -> None:
        self.shutdown_event = threading.Event()
        self._lock = threading.Lock()
        self._hits: Counter[str] = Counter()
        self._routes: dict[str, Route | Handler] = {}
        self._httpd = _HTTPServer(("127.0.0.1", 0), _RequestHandler)
        self._httpd.owner = self
        self.port: int = self._httpd.server_address[1]
        self._thread: threading.Thread | None = None
        self._install_default_routes()

    # -- public API --------------------------------------------------------
    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def add_route(self, path: str, status: int = 200, body: bytes | str = b"",
                  headers: dict[str, str] | None = None) -> None:
        """Serve a fixed response; str bodies are sent as UTF-8 HTML unless headers say otherwise."""
        hdrs = dict(headers or {})
        if isinstance(body, str):
            body = body.encode("utf-8")
            hdrs.setdefault("Content-Type", "text/html; charset=utf-8")
        self._routes[path] = Route(status, body, hdrs)

    def add_handler(self, path: str, handler: Handler) -> None:
        """Serve ``path`` with a function that writes the whole response itself."""
        self._routes[path] = handler

    def hits(self, path: str | None = None) -> int:
        """Requests seen for ``path`` (query ignored), or in total."""
        with self._lock:
            return sum(self._hits.values()) if path is None else self._hits[path]

    @property
    def request_count(self) -> int:
        return self.hits()

    def reset_counts(self) -> None:
        with self._lock:
            self._hits.clear()

    def start(self) -> LocalServer:
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.1},
                                        name="test-http-server", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        self.shutdown_event.set()  # wakes /hang and /trickle handlers
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=5)
        self._httpd.server_close()

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- dispatch ----------------------------------------------------------
    def _dispatch(self, h: _RequestHandler) -> None:
        path = urlsplit(h.path).path
        with self._lock:
            self._hits[path] += 1
        route = self._routes.get(path)
        if route is None and path.startswith("/redirect-chain/"):
            left = int(path.rsplit("/", 1)[1] or 0)
            target = f"/redirect-chain/{left - 1}" if left > 0 else "/article.html"
            route = Route(302, b"", {"Location": target})
        if route is None:
            route = Route(404, b"<html><body><h1>Not Found</h1></body></html>", {"Content-Type": "text/html"})
        try:
            if isinstance(route, Route):
                self._send(h, route.status, route.headers, route.body)
            else:
                route(h)
        except OSError:
            h.close_connection = True  # the client went away; that is expected

    @staticmethod
    def _send(h: _RequestHandler, status: int, headers: dict[str, str], body: bytes) -> None:
        h.send_response(status)
        for name, value in headers.items():
            h.send_header(name, value)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    def _install_default_routes(self) -> None:
        html_type = {"Content-Type": "text/html; charset=utf-8"}
        self.add_route("/article.html", body=build_article_page())
        for i in range(len(NEWS)):
            self.add_route(f"/news/{i + 1}.html", body=build_news_page(i))
        self.add_route("/404", 404, "<html><body><h1>Page not found</h1></body></html>")
        self.add_route("/500", 500, "<html><body><h1>Internal Server Error</h1></body></html>")
        self.add_route("/redirect", 302, b"", {"Location": "/article.html"})
        self.add_route("/redirect-loop", 302, b"", {"Location": "/redirect-loop-b"})
        self.add_route("/redirect-loop-b", 302, b"", {"Location": "/redirect-loop"})
        self.add_route("/doc.pdf", body=build_pdf(), headers={"Content-Type": "application/pdf"})
        self.add_route("/fake.html", body=build_pdf(), headers=html_type)
        self.add_route("/image.png", body=build_png(), headers={"Content-Type": "image/png"})
        self.add_route("/empty", body=b"", headers=html_type)
        self.add_route("/cp1252", body=f"<html><body><p>{CP1252_TEXT}</p></body></html>".encode("cp1252"),
                       headers=html_type)
        self.add_route("/latin1-declared", body=f"<html><body><p>{LATIN1_TEXT}</p></body></html>".encode("latin-1"),
                       headers={"Content-Type": "text/html; charset=iso-8859-1"})
        self.add_route("/js-only", body=(
            '<!DOCTYPE html><html><head><meta charset="utf-8"><title></title>'
            '<script src="/static/bundle.9f3c2.js"></script></head><body><div id="root"></div>'
            f"<noscript>{JS_MESSAGE}</noscript></body></html>"))
        self.add_route("/gzip-bomb", body=build_gzip_bomb(),
                       headers={**html_type, "Content-Encoding": "gzip"})
        self.add_route("/feed.xml", body=self._feed(), headers={"Content-Type": "application/rss+xml; charset=utf-8"})
        self.add_route("/sitemap.xml", body=self._sitemap(), headers={"Content-Type": "application/xml; charset=utf-8"})
        self.add_handler("/trickle", self._trickle)
        self.add_handler("/hang", self._hang)
        self.add_handler("/huge", self._huge)
        self.add_handler("/huge-chunked", self._huge)

    def _feed(self) -> bytes:
        items = "".join(
            f"<item><title>{html.escape(title)}</title><link>{self.url(f'/news/{i + 1}.html')}</link>"
            f"<guid>{self.url(f'/news/{i + 1}.html')}</guid><pubDate>{date}</pubDate>"
            f"<description>{html.escape(paras[0])}</description></item>"
            for i, (date, title, _author, paras) in enumerate(NEWS))
        return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>The Daily Ledger</title>'
                f"<link>{self.url('/')}</link><description>Latest news</description>{items}</channel></rss>").encode()

    def _sitemap(self) -> bytes:
        urls = "".join(f"<url><loc>{self.url(f'/news/{i + 1}.html')}</loc><lastmod>{NEWS[i][0]}</lastmod></url>"
                       for i in range(len(NEWS)))
        return ('<?xml version="1.0" encoding="UTF-8"?>'
                f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>').encode()

    def _trickle(self, h: _RequestHandler) -> None:
        """Headers at once, then one byte every 0.5 s until the client gives up."""
        h.close_connection = True
        h.send_response(200)
        h.send_header("Content-Type", "text/html; charset=utf-8")
        h.send_header("Connection", "close")
        h.end_headers()
        for byte in cycle(b"<html><body><p>Loading, please wait...</p>"):
            h.wfile.write(bytes([byte]))
            h.wfile.flush()
            if self.shutdown_event.wait(0.5):
                return

    def _hang(self, h: _RequestHandler) -> None:
        """Accept the request and never answer."""
        h.close_connection = True
        self.shutdown_event.wait()

    def _huge(self, h: _RequestHandler) -> None:
        """12 MB of HTML, with Content-Length (/huge) or chunked (/huge-chunked)."""
        chunked = h.path.startswith("/huge-chunked")
        block = (b"<p>" + b"All work and no play makes a very long page. " * 20 + b"</p>\n")
        block = block * (65536 // len(block))
        h.send_response(200)
        h.send_header("Content-Type", "text/html; charset=utf-8")
        if chunked:
            h.send_header("Transfer-Encoding", "chunked")
        else:
            h.send_header("Content-Length", str(HUGE_BYTES))
        h.end_headers()
        sent = 0
        while sent < HUGE_BYTES and not self.shutdown_event.is_set():
            part = block[: HUGE_BYTES - sent]
            h.wfile.write(b"%x\r\n%s\r\n" % (len(part), part) if chunked else part)
            sent += len(part)
        if chunked:
            h.wfile.write(b"0\r\n\r\n")
