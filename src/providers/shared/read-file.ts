import { closeSync, constants, openSync, readFile, readFileSync, statfs } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Reads a live config file as text. On a local filesystem the read is synchronous: for the small
 * files a fleet is made of, it costs a third of an asynchronous read (one system call instead of
 * four trips through the thread pool), and a local disk answers or fails. Anywhere else (NFS,
 * SMB, FUSE, or a filesystem not known to be local) the read goes through the thread pool, where
 * a hung mount blocks one read, which the pass's timeout ends, and not the whole process. The
 * type of each folder's filesystem is asked once (asynchronously) and remembered for a while.
 */
export async function readLiveFile(path: string, signal?: AbortSignal): Promise<string> {
  if (await onLocalDisk(dirname(path))) {
    signal?.throwIfAborted();
    const fd = openLocal(path);
    if (fd !== undefined) {
      try {
        return readFileSync(fd, 'utf8');
      } finally {
        closeSync(fd);
      }
    }
  }
  return new Promise<string>((resolve, reject) => readFile(path, { encoding: 'utf8', ...(signal ? { signal } : {}) }, (err, data) => (err ? reject(err) : resolve(data))));
}

/**
 * Opens a file in a local folder, unless the file itself is a symbolic link (which may lead to
 * a network mount): then undefined, and it is read the careful way.
 */
function openLocal(path: string): number | undefined {
  try {
    return openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ELOOP') return undefined;
    throw err;
  }
}

/**
 * statfs(2) magic numbers of filesystems that are on this machine's own disks or memory
 * (linux/magic.h). Network and FUSE filesystems are missing on purpose.
 */
const LOCAL = new Set([
  0xef53, // ext2/3/4
  0x58465342, // xfs
  0x9123683e, // btrfs
  0x01021994, // tmpfs
  0x858458f6, // ramfs
  0x794c7630, // overlayfs
  0x2fc12fc1, // zfs
  0xf2f52010, // f2fs
  0x3153464a, // jfs
  0x52654973, // reiserfs
  0x4d44, // vfat
  0x2011bab0, // exfat
  0x5346544e, // ntfs
  0x9660, // iso9660
  0x73717368, // squashfs
]);

/** How long an answer is trusted: a folder can become a mount point. */
const TTL_MS = 60_000;
const MAX_FOLDERS = 4_096;
const known = new Map<string, { local: Promise<boolean>; at: number }>();

/** Whether `dir` is on a local filesystem; false when it cannot be told (the safe answer). */
export function onLocalDisk(dir: string, now = Date.now()): Promise<boolean> {
  const hit = known.get(dir);
  if (hit && now - hit.at < TTL_MS) return hit.local;
  if (known.size >= MAX_FOLDERS) known.clear();
  const local = new Promise<boolean>((resolve) => statfs(dir, (err, stats) => resolve(!err && LOCAL.has(Number(stats.type) >>> 0))));
  known.set(dir, { local, at: now });
  return local;
}
