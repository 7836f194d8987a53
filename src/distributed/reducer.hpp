#pragma once
// Gradient all-reduce in buckets, overlapped with backward (PyTorch DDP's recipe, which LibTorch's C++ API lacks).
// Parameters are packed into flat buckets of ~bucket_mb in reverse registration order (the order backward produces
// gradients), the first bucket small (1 MB) so communication starts early. A hook on each parameter copies its
// gradient into the bucket; a full bucket is launched as soon as every earlier bucket has been launched, so all
// ranks launch the same buckets in the same order. finish() waits for all buckets and writes the summed gradients
// back into .grad. overlap=false launches everything after backward instead (for comparison).
// One parameter may be reduced sparsely (dist.sparse_embedding, design.md §5): a token embedding whose gradient is
// exactly zero outside the rows this step's batches embedded. It stays out of the buckets; finish() all-reduces only
// the rows set_rows() names (the union over ranks), which gives the same sums as the dense all-reduce.
#include <cstdint>
#include <optional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <torch/types.h>

#include "distributed/communicator.hpp"

namespace jepa::distributed {

class GradReducer {
 public:
  // grad_dtype: the buckets' dtype (float32, or bfloat16 to halve the bytes); sums are written back into the
  // parameters' own dtype.
  // sparse: index into params of the sparsely reduced [rows, dim] parameter, if any.
  GradReducer(std::vector<torch::Tensor> params, Communicator& comm, double bucket_mb, bool overlap,
              torch::ScalarType grad_dtype = torch::kFloat32, std::optional<size_t> sparse = std::nullopt);
  ~GradReducer();

  // Call before the backward whose gradients are to be reduced.
  void prepare();
  // Call before a backward whose gradients only accumulate in .grad (gradient accumulation's first K-1
  // micro-steps, DDP's no_sync): the hooks ignore them. The next prepare() re-arms the hooks, which then reduce
  // the accumulated gradient (.grad + the new one).
  void pause();
  // The rows of the sparse parameter to reduce at the next finish() (int64, ascending, the same on every rank: the
  // union of the rows any rank touched). Not called: the whole parameter is reduced.
  void set_rows(torch::Tensor rows);
  // Call after backward(): every parameter's .grad then holds the sum over ranks.
  void finish();

  size_t bucket_count() const { return buckets_.size(); }
  bool has_sparse() const { return sparse_.has_value(); }
  // Parameter indices per bucket, in launch order (tests).
  std::vector<std::vector<size_t>> layout() const;

 private:
  struct Bucket {
    std::vector<size_t> params;   // indices into params_
    std::vector<int64_t> offsets; // element offset of each param in flat
    torch::Tensor flat;
    size_t ready = 0;
    std::unique_ptr<Work> work;
  };
  void on_grad(size_t param, const torch::Tensor& grad);
  void launch_ready_buckets();
  void launch(Bucket& b);

  std::vector<torch::Tensor> params_;
  Communicator& comm_;
  bool overlap_;
  bool paused_ = false;
  std::vector<Bucket> buckets_;
  std::vector<size_t> bucket_of_, slot_of_;
  std::vector<bool> seen_;
  std::vector<std::pair<size_t, unsigned>> hooks_;  // (parameter, hook handle)
  size_t next_launch_ = 0;
  std::optional<size_t> sparse_;
  torch::Tensor rows_;
  torch::ScalarType grad_dtype_;
  std::mutex mu_;  // hooks may run on autograd's device threads
};

// Row sets of a [rows, dim] embedding as bitmaps (64 rows a word), so ranks can OR them in one small collective.
// Marks every id of `ids` (an int64 tensor of any shape; each in [0, rows), else std::out_of_range) in `words`
// (ceil(rows / 64) of them).
void mark_rows(const torch::Tensor& ids, int64_t rows, std::vector<int64_t>& words);
// The marked rows, ascending, as an int64 tensor.
torch::Tensor marked_rows(const std::vector<int64_t>& words);

}  // namespace jepa::distributed
