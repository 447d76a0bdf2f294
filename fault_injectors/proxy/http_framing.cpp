#include "fault_injectors/proxy/http_framing.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace faultline::proxy {

namespace {

constexpr std::size_t kMaxHead = 64 * 1024;
constexpr std::size_t kMaxLine = 4 * 1024;  ///< a chunk-size or trailer line

bool iequal(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

bool is_token(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
  });
}

/// "HTTP/1.x": the minor version, else -1.
int http_version(std::string_view v) {
  if (v.size() != 8 || v.substr(0, 7) != "HTTP/1." || !std::isdigit(static_cast<unsigned char>(v[7]))) return -1;
  return v[7] - '0';
}

bool start_line(std::string_view line, bool request, HttpHead& h) {
  const auto sp1 = line.find(' ');
  if (sp1 == std::string_view::npos) return false;
  if (request) {
    const auto sp2 = line.find(' ', sp1 + 1);
    if (sp2 == std::string_view::npos) return false;
    h.method = std::string(line.substr(0, sp1));
    h.target = std::string(line.substr(sp1 + 1, sp2 - sp1 - 1));
    h.minor = http_version(line.substr(sp2 + 1));
    return is_token(h.method) && !h.target.empty() && h.minor >= 0;
  }
  h.minor = http_version(line.substr(0, sp1));
  const std::string_view code = line.substr(sp1 + 1, 3);
  if (h.minor < 0 || code.size() != 3) return false;
  auto [end, ec] = std::from_chars(code.data(), code.data() + 3, h.status);
  return ec == std::errc() && end == code.data() + 3 && h.status >= 100 && h.status <= 999;
}

}  // namespace

std::optional<std::string_view> HttpHead::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (iequal(k, name)) return std::string_view(v);
  return std::nullopt;
}

std::string_view HttpHead::path() const {
  std::string_view t = target;
  return t.substr(0, t.find_first_of("?#"));
}

std::optional<HttpHead> parse_http_head(std::string_view text, bool request) {
  HttpHead h;
  bool first = true;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    if (nl == std::string_view::npos) return std::nullopt;
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (first) {
      if (!start_line(line, request, h)) return std::nullopt;
      first = false;
      continue;
    }
    if (line.empty()) return text.empty() ? std::optional<HttpHead>(std::move(h)) : std::nullopt;
    const auto colon = line.find(':');
    if (colon == std::string_view::npos || !is_token(line.substr(0, colon))) return std::nullopt;
    h.headers.emplace_back(std::string(line.substr(0, colon)), std::string(trim(line.substr(colon + 1))));
  }
  return std::nullopt;
}

std::pair<std::size_t, HttpFramer::Event> HttpFramer::consume(std::string_view data) {
  switch (state_) {
    case State::head:
      return head_bytes(data);
    case State::fixed: {
      const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(left_, data.size()));
      left_ -= n;
      if (left_ > 0) return {n, Event::none};
      state_ = State::head;
      return {n, Event::end};
    }
    case State::until_close:
    case State::raw:
      return {data.size(), Event::none};
    default:
      return chunked(data);
  }
}

std::pair<std::size_t, HttpFramer::Event> HttpFramer::head_bytes(std::string_view data) {
  // The head ends at its first empty line: "\n\n" or "\n\r\n", possibly
  // across reads (buf_ holds what came before).
  for (std::size_t i = 0; i < data.size(); ++i) {
    const char c = data[i];
    buf_.push_back(c);
    if (c != '\n') continue;
    if (buf_.size() == 1 || (buf_.size() == 2 && buf_[0] == '\r')) {
      buf_.clear();  // empty lines before a message are allowed (RFC 9112 section 2.2); they pass as they are
      continue;
    }
    const std::size_t n = buf_.size();
    if ((n >= 2 && buf_[n - 2] == '\n') || (n >= 3 && buf_[n - 2] == '\r' && buf_[n - 3] == '\n')) {
      std::optional<HttpHead> h = parse_http_head(buf_, request_);
      buf_.clear();
      if (!h) {
        state_ = State::raw;
        return {i + 1, Event::malformed};
      }
      head_ = std::move(*h);
      return {i + 1, start_body()};
    }
  }
  if (buf_.size() > kMaxHead) {
    buf_.clear();
    state_ = State::raw;
    return {data.size(), Event::malformed};
  }
  return {data.size(), Event::none};
}

HttpFramer::Event HttpFramer::start_body() {
  state_ = State::head;
  if (request_ && iequal(head_.method, "CONNECT")) {
    state_ = State::raw;  // a tunnel follows, not HTTP
    return Event::head;
  }
  if (!request_ && (head_.status < 200 || head_.status == 204 || head_.status == 304)) {
    if (head_.status == 101) state_ = State::raw;  // another protocol follows
    return Event::head;
  }
  if (auto te = head_.header("Transfer-Encoding")) {
    std::string_view v = *te;
    const auto comma = v.rfind(',');
    if (comma != std::string_view::npos) v = v.substr(comma + 1);
    if (iequal(trim(v), "chunked")) {
      state_ = State::chunk_size;
      return Event::head;
    }
    if (request_) {
      state_ = State::raw;  // RFC 9112 6.3: a request's length cannot be known
      return Event::malformed;
    }
    state_ = State::until_close;
    return Event::head;
  }
  std::optional<std::uint64_t> length;
  for (const auto& [k, v] : head_.headers) {
    if (!iequal(k, "Content-Length")) continue;
    std::uint64_t n = 0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec != std::errc() || end != v.data() + v.size() || (length && *length != n)) {
      state_ = State::raw;
      return Event::malformed;
    }
    length = n;
  }
  if (length) {
    left_ = *length;
    if (left_ > 0) state_ = State::fixed;
    return Event::head;
  }
  if (!request_) state_ = State::until_close;
  return Event::head;
}

void HttpFramer::no_body() {
  if (state_ != State::raw) state_ = State::head;
}

std::pair<std::size_t, bool> HttpFramer::line_bytes(std::string_view data) {
  const auto nl = data.find('\n');
  const std::size_t n = nl == std::string_view::npos ? data.size() : nl + 1;
  buf_.append(data.substr(0, n));
  return {n, nl != std::string_view::npos};
}

std::pair<std::size_t, HttpFramer::Event> HttpFramer::chunked(std::string_view data) {
  if (state_ == State::chunk_data) {
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(left_, data.size()));
    left_ -= n;
    if (left_ == 0) state_ = State::chunk_crlf;
    return {n, Event::none};
  }
  auto [n, complete] = line_bytes(data);
  if (!complete) {
    if (buf_.size() <= kMaxLine) return {n, Event::none};
    buf_.clear();
    state_ = State::raw;
    return {data.size(), Event::malformed};
  }
  std::string_view line = buf_;
  line.remove_suffix(1);  // the '\n'; trim takes a '\r' before it
  line = trim(line);
  Event event = Event::none;
  if (state_ == State::chunk_size) {
    line = line.substr(0, line.find(';'));  // chunk extensions
    line = trim(line);
    std::uint64_t size = 0;
    auto [end, ec] = std::from_chars(line.data(), line.data() + line.size(), size, 16);
    if (line.empty() || ec != std::errc() || end != line.data() + line.size()) {
      buf_.clear();
      state_ = State::raw;
      return {n, Event::malformed};
    }
    left_ = size;
    state_ = size == 0 ? State::trailers : State::chunk_data;
  } else if (state_ == State::chunk_crlf) {
    if (!line.empty()) {
      buf_.clear();
      state_ = State::raw;
      return {n, Event::malformed};
    }
    state_ = State::chunk_size;
  } else if (line.empty()) {  // trailers end at an empty line
    state_ = State::head;
    event = Event::end;
  }
  buf_.clear();
  return {n, event};
}

}  // namespace faultline::proxy
