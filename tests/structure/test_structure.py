"""The code's shape, checked on every `make test` (no build, no root):

- the folders under userspace/ form the stack the README's Layout section
  draws: each folder includes only folders listed below it there (bottom to
  top), every folder is listed, and none is listed twice;
- no source file is over 500 lines;
- the well-known pool names are spelt only in mail/pool_names.h.

Run: /usr/bin/python3 tests/structure/test_structure.py [-v]"""
import os
import re
import sys
import unittest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
USERSPACE = os.path.join(ROOT, "userspace")
SOURCE_SUFFIXES = (".h", ".hpp", ".c", ".cpp", ".cc", ".py", ".sh")
MAX_LINES = 500
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"/]+)/[^"]+"', re.M)


def readme_stack():
    """userspace folders in the order the README's Layout block lists them."""
    text = read(os.path.join(ROOT, "README.md"))
    section = text.split("\n## Layout", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^userspace/(\w+)/", section, re.M)


def read(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read()


def folders():
    return sorted(d for d in os.listdir(USERSPACE) if os.path.isdir(os.path.join(USERSPACE, d)))


def sources(top):
    skip = {".git", "build", "build-fuzz", "corpus"}
    for dirpath, dirnames, files in os.walk(top):
        dirnames[:] = [d for d in dirnames if d not in skip and not d.startswith("build")]
        for name in files:
            if name.endswith(SOURCE_SUFFIXES):
                yield os.path.join(dirpath, name)


class Structure(unittest.TestCase):
    maxDiff = None

    def test_readme_lists_every_folder_once(self):
        stack = readme_stack()
        self.assertEqual(len(stack), len(set(stack)), f"listed twice: {stack}")
        self.assertEqual(sorted(stack), folders(),
                         "the README's Layout section and userspace/ disagree")

    def test_each_folder_includes_only_folders_below_it(self):
        stack = readme_stack()
        level = {folder: i for i, folder in enumerate(stack)}
        upward = []
        for folder in folders():
            for path in sources(os.path.join(USERSPACE, folder)):
                for target in INCLUDE.findall(read(path)):
                    if target in level and target != folder and level[target] > level[folder]:
                        upward.append(f"{os.path.relpath(path, ROOT)} includes {target}/ "
                                      f"(listed above {folder}/)")
        self.assertEqual(upward, [], "\n".join(upward))

    def test_no_source_file_over_500_lines(self):
        long = []
        for path in sources(ROOT):
            n = read(path).count("\n")
            if n > MAX_LINES:
                long.append(f"{os.path.relpath(path, ROOT)}: {n} lines")
        self.assertEqual(long, [], "\n".join(long))

    def test_pool_names_spelt_once(self):
        definition = os.path.join(USERSPACE, "mail", "pool_names.h")
        literal = re.compile(r'"(high-risk|normal)"')
        found = []
        for path in sources(USERSPACE):
            if path == definition:
                continue
            for number, line in enumerate(read(path).splitlines(), 1):
                if literal.search(line.split("//", 1)[0]):
                    found.append(f"{os.path.relpath(path, ROOT)}:{number}: {line.strip()}")
        self.assertEqual(found, [], "use kNormalPool/kHighRiskPool:\n" + "\n".join(found))


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]] + [a for a in sys.argv[1:] if a.startswith("-")], verbosity=2)
