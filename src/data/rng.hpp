#pragma once
// A small counter-seeded RNG (splitmix64). Used wherever a result must be a pure function of its inputs
// (per-sample masks, per-epoch permutations): std:: distributions are implementation-defined, this is not.
#include <cmath>
#include <cstdint>
#include <initializer_list>

namespace jepa::data {

inline uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Hashes a tuple of integers into one seed, e.g. derive_seed({seed, epoch, sample}).
inline uint64_t derive_seed(std::initializer_list<uint64_t> parts) {
  uint64_t h = 0x6a09e667f3bcc909ULL;
  for (uint64_t p : parts) {
    uint64_t s = h ^ p;
    h = splitmix64(s);
  }
  return h;
}

class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t next() { return splitmix64(state_); }
  // Uniform in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  // Uniform integer in [0, n), unbiased (rejection sampling).
  uint64_t below(uint64_t n) {
    const uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do { x = next(); } while (x >= limit);
    return x % n;
  }
  // Exponential with the given rate, as Python's random.expovariate: -log(1 - U) / rate.
  double exponential(double rate) { return -std::log(1.0 - uniform()) / rate; }

 private:
  uint64_t state_;
};

}  // namespace jepa::data
