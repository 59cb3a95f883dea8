// Opening a spool, and what an operator is told when it cannot be opened:
// held by another poolgate (with its pid), a file instead of a directory,
// somebody else's files, a damaged database, no spool at all; and damage to a
// single record, which is reported and skipped rather than failing the open.
#include "common/operator_error.h"
#include "spool/keys.h"
#include "spool/spool.h"
#include "spool_test_support.h"

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <filesystem>
#include <fstream>

using namespace poolgate;
using spool_test::sample_envelope;
using spool_test::TempDir;

namespace {

// The OperatorError of opening `path` read-write.
std::string open_error(const std::string& path) {
  try {
    Spool::open(path);
  } catch (const OperatorError& e) {
    return e.what();
  }
  return "(opened)";
}

}  // namespace

TEST(SpoolOpen, SecondOpenNamesTheHolder) {
  TempDir dir;
  auto spool = Spool::open(dir.path());
  std::string error = open_error(dir.path());
  EXPECT_NE(error.find("spool " + dir.path() + " is in use by another poolgate (pid " +
                       std::to_string(getpid()) + ")"),
            std::string::npos)
      << error;
}

TEST(SpoolOpen, PathThatIsAFile) {
  TempDir dir;
  std::ofstream(dir.sub("file")) << "x";
  EXPECT_NE(open_error(dir.sub("file")).find(dir.sub("file") + " exists and is not a directory"),
            std::string::npos);
  std::string below = dir.sub("file") + "/spool";
  std::string error = open_error(below);
  EXPECT_NE(error.find("cannot create spool directory " + below), std::string::npos) << error;
}

TEST(SpoolOpen, SomebodyElsesDirectoryIsLeftAlone) {
  TempDir dir;
  std::ofstream(dir.sub("notes.txt")) << "mine";
  std::string error = open_error(dir.path());
  EXPECT_NE(error.find("is not empty and is not a poolgate spool (notes.txt)"), std::string::npos)
      << error;
  EXPECT_FALSE(std::filesystem::exists(dir.sub("CURRENT")));
}

TEST(SpoolOpen, DamagedSpoolSaysWhatToDo) {
  for (bool garbage_manifest : {false, true}) {
    TempDir dir;
    Spool::open(dir.path())->commit(sample_envelope(1), "x");
    if (garbage_manifest) {
      for (const auto& entry : std::filesystem::directory_iterator(dir.path()))
        if (entry.path().filename().string().starts_with("MANIFEST-"))
          std::ofstream(entry.path(), std::ios::trunc) << std::string(200, '\x5a');
    } else {
      std::ofstream(dir.sub("CURRENT"), std::ios::trunc) << "MANIFEST-999999\n";
    }
    std::string error = open_error(dir.path());
    EXPECT_NE(error.find("spool " + dir.path() + " is damaged"), std::string::npos) << error;
    EXPECT_NE(error.find("cp -a " + dir.path()), std::string::npos) << error;
    EXPECT_NE(error.find("ldb --db=" + dir.path() + " repair"), std::string::npos) << error;
  }
}

TEST(SpoolOpen, DatabaseFilesWithoutCurrentAreNotTakenForANewSpool) {
  TempDir dir;
  Spool::open(dir.path())->commit(sample_envelope(1), "x");
  std::filesystem::remove(dir.sub("CURRENT"));
  std::string error = open_error(dir.path());
  EXPECT_NE(error.find("has database files but no CURRENT file"), std::string::npos) << error;
}

TEST(SpoolOpen, ReadOnlyOfNoSpool) {
  TempDir dir;
  try {
    Spool::open_read_only(dir.sub("none"));
    FAIL();
  } catch (const OperatorError& e) {
    EXPECT_NE(std::string(e.what()).find("no spool at " + dir.sub("none")), std::string::npos);
  }
}

TEST(SpoolOpen, UndecodableEnvelopeIsReportedAndSkipped) {
  TempDir dir;
  std::string bad, good;
  {
    auto spool = Spool::open(dir.path());
    bad = spool->commit(sample_envelope(1), "bad");
    good = spool->commit(sample_envelope(1), "good");
  }
  {  // damage one envelope record behind the spool's back
    rocksdb::DB* db;
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    std::vector<rocksdb::ColumnFamilyDescriptor> families = {
        {rocksdb::kDefaultColumnFamilyName, {}}, {spool_keys::kEnvelopes, {}},
        {spool_keys::kContent, {}}, {spool_keys::kRecipients, {}}, {spool_keys::kMeta, {}}};
    ASSERT_TRUE(rocksdb::DB::Open({}, dir.path(), families, &handles, &db).ok());
    ASSERT_TRUE(db->Put({}, handles[1], bad, "\x01\x02\x50").ok());
    for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
    delete db;
  }
  auto spool = Spool::open(dir.path());
  std::vector<std::string> problems;
  auto queue = spool->load_unfinished(&problems);
  ASSERT_EQ(queue.size(), 1u);
  EXPECT_EQ(queue[0].queue_id, good);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find(bad), std::string::npos) << problems[0];
  EXPECT_FALSE(spool->check().empty());
  spool->remove(bad);  // an undecodable message can still be removed
  EXPECT_TRUE(spool->check().empty());
}
