package io.cairn.raft;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * The core must replay exactly from a seed: no clock, no threads, no hidden randomness, no
 * I/O, and no hash-ordered collections whose iteration order could leak into its output.
 */
class DeterminismRulesTest {
    private static final JavaClasses CORE = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.cairn.raft");

    @Test
    void coreReadsNoClock() {
        noClasses().should().callMethod(System.class, "currentTimeMillis")
                .orShould().callMethod(System.class, "nanoTime")
                .orShould().dependOnClassesThat().resideInAPackage("java.time..")
                .check(CORE);
    }

    @Test
    void coreStartsNoThreadsAndUsesNoHiddenRandomness() {
        noClasses().should().dependOnClassesThat().belongToAnyOf(
                        Thread.class, java.util.concurrent.ThreadLocalRandom.class, java.util.Random.class,
                        java.util.concurrent.Executor.class, java.util.concurrent.CompletableFuture.class)
                .check(CORE);
    }

    @Test
    void coreDoesNoIo() {
        noClasses().should().dependOnClassesThat().resideInAnyPackage("java.nio.file..", "java.net..", "java.nio.channels..")
                .orShould().dependOnClassesThat().belongToAnyOf(java.io.File.class, java.io.FileInputStream.class,
                        java.io.FileOutputStream.class, java.io.RandomAccessFile.class)
                .check(CORE);
    }

    @Test
    void coreIteratesNoHashOrderedCollections() {
        noClasses().should().dependOnClassesThat().belongToAnyOf(
                        java.util.HashMap.class, java.util.HashSet.class, java.util.IdentityHashMap.class)
                .check(CORE);
    }
}
