// The consumer's build ran Hello on the class path and on the module path, and pinned on the module path.
def log = new File(basedir, 'build.log').text
assert log.count('sum[0] = 3.0') == 2 : 'Hello printed its sum on the class path and on the module path'
assert log.contains('pinned to CPU ') : 'Pinning ran on the module path'
