// The outbound side of DATA (RFC 5321 4.5.2): turns stored content into its wire
// form. Stored content already has CRLF endings (DataReader writes it so), but a
// bare CR or LF that slipped in some other way is made a CRLF here too, so the
// next hop can never see a line ending (or an end of data) that poolgate did not
// mean: every line starting with '.' gets another '.', and the data ends with
// CRLF "." CRLF (a CRLF is added first when the content does not end in one).
#pragma once

#include <string>
#include <string_view>

namespace poolgate {

class DotStuffer {
 public:
  // Appends the wire form of `content` to `out`; chunks may split anywhere.
  void feed(std::string_view content, std::string& out);
  // Appends the end of data; the stuffer is then ready for a new message.
  void finish(std::string& out);

 private:
  bool line_start_ = true;    // the next octet begins a line
  bool pending_cr_ = false;   // a CR was seen; LF may follow in the next chunk
  bool empty_ = true;         // nothing fed yet
};

// One-shot form: the whole wire form of `content`, terminator included.
std::string dot_stuff(std::string_view content);

}  // namespace poolgate
