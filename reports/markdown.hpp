// A Markdown summary of a run, fit for a pull-request comment or a CI step
// summary ($GITHUB_STEP_SUMMARY): the outcome in plain words (PASS, FAIL,
// ...), one table row per iteration with the uncertainty beside each figure,
// MTTR with its distribution, availability, and the verdicts with measured
// value, limit and margin. GitHub-flavoured Markdown (pipe tables); no emoji,
// no images, no links out. A pure function of the run record.
#pragma once

#include <string>

#include "record/record.hpp"

namespace faultline {

/// The summary as Markdown text ending with a newline.
std::string render_markdown(const RunRecord& r);

/// `text` safe inside a Markdown table cell or paragraph: Markdown and HTML
/// metacharacters backslash-escaped or entity-encoded, newlines as spaces.
std::string markdown_escape(std::string_view text);

}  // namespace faultline
