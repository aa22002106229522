#include "tests/support/tamper.hpp"

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include "domain/base/bytes.hpp"
#include "eventstore/keys.hpp"

namespace telepay::testing {

void tamper_record(const std::filesystem::path& db_dir, std::uint64_t seq,
                   const std::function<void(std::string&)>& change) {
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  std::vector<std::string> names;
  ASSERT_TRUE(rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), db_dir.string(), &names).ok());
  for (const auto& name : names) {
    descriptors.emplace_back(name, rocksdb::ColumnFamilyOptions());
  }
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  ASSERT_TRUE(rocksdb::DB::Open(rocksdb::DBOptions(), db_dir.string(), descriptors, &handles, &db)
                  .ok());
  rocksdb::ColumnFamilyHandle* log = nullptr;
  for (auto* h : handles) {
    if (h->GetName() == eventstore::keys::cf_log) {
      log = h;
    }
  }
  ASSERT_NE(log, nullptr);
  std::string value;
  ASSERT_TRUE(db->Get(rocksdb::ReadOptions(), log, be64_key(seq), &value).ok());
  change(value);
  rocksdb::WriteOptions write;
  write.sync = true;
  ASSERT_TRUE(db->Put(write, log, be64_key(seq), value).ok());
  for (auto* h : handles) {
    ASSERT_TRUE(db->DestroyColumnFamilyHandle(h).ok());
  }
  ASSERT_TRUE(db->Close().ok());
  delete db;
}

void flip_payload_byte(const std::filesystem::path& db_dir, std::uint64_t seq) {
  tamper_record(db_dir, seq, [](std::string& bytes) {
    ASSERT_GT(bytes.size(), 40u);
    bytes[bytes.size() - 40] = static_cast<char>(bytes[bytes.size() - 40] ^ 0x01);
  });
}

}  // namespace telepay::testing
