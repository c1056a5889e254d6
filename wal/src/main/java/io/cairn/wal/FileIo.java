package io.cairn.wal;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;

/**
 * The file operations the WAL performs, and nothing more. Production uses {@link NioFileIo}; tests
 * and the simulator use {@link SimulatedFileIo}, which loses or tears unsynced data on a simulated
 * crash. The WAL treats every {@link IOException} from this seam as fatal for the running
 * instance: it stops accepting writes, and the host recovers by reopening.
 *
 * <p>Durability follows POSIX rather than any one file system: file content is durable only after
 * {@link Handle#force()}, and a creation, rename or deletion only after {@link #syncDirectory}.
 */
public interface FileIo {
    /** Creates a new, empty file open for reading and writing; fails if the file exists. */
    Handle create(Path file) throws IOException;

    /** Opens an existing file for reading and writing. */
    Handle open(Path file) throws IOException;

    /** The regular files directly inside {@code dir}, in no particular order. */
    List<Path> list(Path dir) throws IOException;

    /** Creates {@code dir} and its missing parents; does nothing if it exists. */
    void createDirectories(Path dir) throws IOException;

    void delete(Path file) throws IOException;

    /** Renames atomically: an observer sees the file under exactly one of the two names. */
    void rename(Path source, Path target) throws IOException;

    /** Makes the creations, renames and deletions inside {@code dir} durable (fsync of dir). */
    void syncDirectory(Path dir) throws IOException;

    /** An open file. Positions and sizes are in bytes. */
    interface Handle extends Closeable {
        /** Writes every remaining byte of {@code source} starting at {@code position}. */
        void write(ByteBuffer source, long position) throws IOException;

        /**
         * Reads from {@code position} until {@code target} is full or the file ends.
         *
         * @return the number of bytes read
         */
        int read(ByteBuffer target, long position) throws IOException;

        /**
         * Makes every byte written so far durable, together with the metadata needed to read it
         * back, such as the file size (fdatasync).
         */
        void force() throws IOException;

        /** Shortens the file to {@code sizeBytes}; durable after the next {@link #force()}. */
        void truncate(long sizeBytes) throws IOException;

        long size() throws IOException;
    }
}
