#pragma once
// Labelled text files for evaluation: `label<TAB>text` lines (jepa_eval --labelled, --probe-train, --probe-test).
#include <cstdint>
#include <string>
#include <vector>

namespace jepa::eval {

struct LabelledTexts {
  std::string path;
  std::vector<std::string> labels, texts;
  std::vector<int64_t> lines;  // 1-based line number of each example in `path`
};

// Reads `label<TAB>text` lines: the label is what precedes the first tab, the text the rest of the line (a final
// `\r` dropped). Blank lines and lines starting with `#` are skipped. Throws std::runtime_error with one line
// naming the file (and `path:LINE` for a line without a label, a tab or a text).
LabelledTexts read_labelled_tsv(const std::string& path);

// Class ids of a train/test pair: the sorted distinct labels of `train`; a test label the training set lacks is an
// error naming `test.path:LINE`; a training set with fewer than 2 classes is an error naming its file.
struct ClassIds {
  std::vector<std::string> names;
  std::vector<int64_t> train, test;
};
ClassIds class_ids(const LabelledTexts& train, const LabelledTexts& test);

}  // namespace jepa::eval
