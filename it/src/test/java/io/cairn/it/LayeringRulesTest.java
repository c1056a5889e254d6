package io.cairn.it;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** Dependencies point inward (DESIGN.md): checked over every module's main classes. */
class LayeringRulesTest {
    private static final JavaClasses CAIRN = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.cairn");

    @Test
    void onlyTheRocksEngineTouchesRocksDb() {
        noClasses().that().resideOutsideOfPackage("io.cairn.kv.rocks..")
                .should().dependOnClassesThat().resideInAPackage("org.rocksdb..")
                .check(CAIRN);
    }

    @Test
    void theConsensusCoreKnowsNothingOfStorageNetworkOrServer() {
        noClasses().that().resideInAnyPackage("io.cairn.raft..", "io.cairn.consensus..")
                .should().dependOnClassesThat().resideInAnyPackage("io.grpc..", "org.rocksdb..",
                        "io.cairn.wal..", "io.cairn.server..", "io.cairn.kv..", "io.cairn.transport..")
                .check(CAIRN);
    }

    @Test
    void theStateMachineKnowsNothingOfTheNetwork() {
        noClasses().that().resideInAnyPackage("io.cairn.kv.state..", "io.cairn.kv.engine..")
                .should().dependOnClassesThat().resideInAnyPackage("io.grpc..", "io.cairn.server..",
                        "io.cairn.transport..", "io.cairn.api..")
                .check(CAIRN);
    }
}
