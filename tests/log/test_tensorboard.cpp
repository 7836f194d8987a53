// The TensorBoard event writer's framing (log/tensorboard.*): CRC-32C against published check values and a file
// read back record by record. tests/log/test_tensorboard.py reads a real run's events with TensorBoard itself.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "log/tensorboard.hpp"

using namespace jepa::log;

TEST(Crc32c, MatchesTheStandardCheckValues) {
  EXPECT_EQ(crc32c("123456789", 9), 0xE3069283u);  // the CRC-32C check value (RFC 3720, iSCSI)
  const std::string zeros(32, '\0');
  EXPECT_EQ(crc32c(zeros.data(), zeros.size()), 0x8A9136AAu);  // RFC 3720 B.4: 32 bytes of zeros
  const uint32_t c = crc32c("123456789", 9);
  EXPECT_EQ(masked_crc32c("123456789", 9), ((c >> 15) | (c << 17)) + 0xa282ead8u);
}

TEST(EventWriter, EveryRecordIsFramedWithValidChecksums) {
  const auto dir = std::filesystem::path(JEPA_BUILD_DIR) / "test_tmp" / "tb_framing";
  std::filesystem::remove_all(dir);
  std::string path;
  {
    EventWriter w(dir.string(), /*resume_step=*/7);
    w.scalars(8, {{"loss", 0.5}, {"lr", 1e-4}});
    path = w.path();
  }
  std::ifstream in(path, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t pos = 0, records = 0;
  while (pos < bytes.size()) {
    ASSERT_LE(pos + 12, bytes.size());
    uint64_t n;
    uint32_t len_crc, data_crc;
    std::memcpy(&n, bytes.data() + pos, 8);
    std::memcpy(&len_crc, bytes.data() + pos + 8, 4);
    EXPECT_EQ(len_crc, masked_crc32c(bytes.data() + pos, 8));
    ASSERT_LE(pos + 12 + n + 4, bytes.size());
    std::memcpy(&data_crc, bytes.data() + pos + 12 + n, 4);
    EXPECT_EQ(data_crc, masked_crc32c(bytes.data() + pos + 12, n));
    pos += 12 + n + 4;
    ++records;
  }
  EXPECT_EQ(records, 3u);  // file version, SessionLog START (resumed at step 7), one summary
  EXPECT_NE(bytes.find("brain.Event:2"), std::string::npos);
  EXPECT_NE(bytes.find("loss"), std::string::npos);
}
