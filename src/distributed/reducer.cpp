#include "distributed/reducer.hpp"

#include <torch/torch.h>

namespace jepa::distributed {

GradReducer::GradReducer(std::vector<torch::Tensor> params, Communicator& comm, double bucket_mb, bool overlap,
                         torch::ScalarType grad_dtype, std::optional<size_t> sparse)
    : params_(std::move(params)), comm_(comm), overlap_(overlap), sparse_(sparse), grad_dtype_(grad_dtype) {
  if (sparse_ && (*sparse_ >= params_.size() || params_[*sparse_].dim() != 2))
    throw std::invalid_argument("GradReducer: the sparse parameter must be a [rows, dim] tensor of the list");
  const double cap_bytes = bucket_mb * 1024 * 1024;
  const double first_cap = std::min(cap_bytes, 1024.0 * 1024.0);
  bucket_of_.assign(params_.size(), 0);
  slot_of_.assign(params_.size(), 0);
  seen_.assign(params_.size(), false);
  Bucket cur;
  double bytes = 0;
  auto close = [&] {
    if (cur.params.empty()) return;
    int64_t total = 0;
    for (size_t i : cur.params) {
      cur.offsets.push_back(total);
      total += params_[i].numel();
    }
    cur.flat = torch::zeros({total}, params_[cur.params.front()].options().dtype(grad_dtype).requires_grad(false));
    buckets_.push_back(std::move(cur));
    cur = Bucket{};
    bytes = 0;
  };
  for (size_t k = params_.size(); k-- > 0;) {
    if (k == sparse_) continue;
    const auto& p = params_[k];
    bucket_of_[k] = buckets_.size();
    slot_of_[k] = cur.params.size();
    cur.params.push_back(k);
    bytes += static_cast<double>(p.numel() * p.element_size());
    if (bytes >= (buckets_.empty() ? first_cap : cap_bytes)) close();
  }
  close();
  if (overlap_)
    for (size_t k = 0; k < params_.size(); ++k)
      if (k != sparse_) hooks_.emplace_back(k, params_[k].register_hook([this, k](torch::Tensor grad) { on_grad(k, grad); }));
}

GradReducer::~GradReducer() {
  for (const auto& [k, hook] : hooks_) params_[k].remove_hook(hook);
}

void GradReducer::set_rows(torch::Tensor rows) {
  std::lock_guard<std::mutex> lock(mu_);
  rows_ = std::move(rows);
}

std::vector<std::vector<size_t>> GradReducer::layout() const {
  std::vector<std::vector<size_t>> out;
  for (const auto& b : buckets_) out.push_back(b.params);
  return out;
}

void GradReducer::pause() {
  std::lock_guard<std::mutex> lock(mu_);
  paused_ = true;
}

void GradReducer::prepare() {
  std::lock_guard<std::mutex> lock(mu_);
  paused_ = false;
  for (auto& b : buckets_) {
    b.ready = 0;
    b.work.reset();
  }
  std::fill(seen_.begin(), seen_.end(), false);
  next_launch_ = 0;
}

void GradReducer::launch(Bucket& b) { b.work = comm_.allreduce_sum(b.flat, "gradient bucket " + std::to_string(&b - buckets_.data())); }

void GradReducer::launch_ready_buckets() {
  while (next_launch_ < buckets_.size() && buckets_[next_launch_].ready == buckets_[next_launch_].params.size())
    launch(buckets_[next_launch_++]);
}

void GradReducer::on_grad(size_t k, const torch::Tensor& grad) {
  std::lock_guard<std::mutex> lock(mu_);
  if (paused_) return;
  auto& b = buckets_[bucket_of_[k]];
  auto slot = b.flat.narrow(0, b.offsets[slot_of_[k]], grad.numel());
  // The hook sees this backward's gradient before autograd adds it to .grad: with accumulated micro-steps the
  // parameter's total is .grad + grad (the same addition autograd does next; .grad is undefined otherwise).
  const auto& held = params_[k].grad();
  if (held.defined()) slot.copy_((held + grad).reshape({-1}));
  else slot.copy_(grad.reshape({-1}));
  if (!seen_[k]) {
    seen_[k] = true;
    ++b.ready;
  }
  launch_ready_buckets();
  for (size_t i = 0; i < next_launch_; ++i) buckets_[i].work->poll();
}

void GradReducer::finish() {
  std::lock_guard<std::mutex> lock(mu_);
  // The sparse rows go out after every bucket (the same launch order on every rank).
  torch::Tensor packed, rows;
  std::unique_ptr<Work> sparse_work;
  auto launch_sparse = [&] {
    if (!sparse_) return;
    auto& p = params_[*sparse_];
    if (!p.grad().defined()) p.mutable_grad() = torch::zeros_like(p);
    rows = rows_.defined() ? rows_.to(p.device()) : torch::Tensor();
    packed = (rows.defined() ? p.grad().index_select(0, rows) : p.grad()).to(grad_dtype_).contiguous();
    sparse_work = comm_.allreduce_sum(packed, "sparse embedding rows");
  };
  for (auto& b : buckets_) {
    for (size_t s = 0; s < b.params.size(); ++s) {
      const size_t k = b.params[s];
      if (overlap_ && seen_[k]) continue;
      // Without overlap every gradient is packed here; with overlap only parameters that got no gradient this
      // step (unused in the graph) remain: they contribute zeros, on every rank alike.
      const auto& g = params_[k].grad();
      auto slot = b.flat.narrow(0, b.offsets[s], params_[k].numel());
      if (g.defined())
        slot.copy_(g.reshape({-1}));
      else
        slot.zero_();
      seen_[k] = true;
      ++b.ready;
    }
  }
  launch_ready_buckets();
  launch_sparse();
  for (auto& b : buckets_) {
    b.work->wait();
    for (size_t s = 0; s < b.params.size(); ++s) {
      auto& p = params_[b.params[s]];
      auto summed = b.flat.narrow(0, b.offsets[s], p.numel()).view(p.sizes());
      if (p.grad().defined())
        p.mutable_grad().copy_(summed);
      else
        p.mutable_grad() = summed.clone();
    }
  }
  if (sparse_work) {
    sparse_work->wait();
    auto& g = params_[*sparse_].mutable_grad();
    // Rows outside `rows` are zero on every rank, so their sum is the zero already in .grad.
    if (rows.defined()) g.index_copy_(0, rows, packed.to(g.scalar_type()));
    else g.copy_(packed);
    rows_ = torch::Tensor();
  }
}

void mark_rows(const torch::Tensor& ids, int64_t n_rows, std::vector<int64_t>& words) {
  const auto flat = ids.to(torch::kCPU, torch::kInt64).contiguous();
  const auto* v = flat.data_ptr<int64_t>();
  if (static_cast<int64_t>(words.size()) * 64 < n_rows) throw std::invalid_argument("mark_rows: too few words");
  for (int64_t i = 0; i < flat.numel(); ++i) {
    if (v[i] < 0 || v[i] >= n_rows) throw std::out_of_range("mark_rows: id " + std::to_string(v[i]) + " out of range");
    words[static_cast<size_t>(v[i] >> 6)] |= static_cast<int64_t>(uint64_t{1} << (v[i] & 63));
  }
}

torch::Tensor marked_rows(const std::vector<int64_t>& words) {
  std::vector<int64_t> rows;
  for (size_t w = 0; w < words.size(); ++w)
    for (auto bits = static_cast<uint64_t>(words[w]); bits; bits &= bits - 1)
      rows.push_back(static_cast<int64_t>(w * 64) + __builtin_ctzll(bits));
  return torch::tensor(rows, torch::kInt64);
}

}  // namespace jepa::distributed
