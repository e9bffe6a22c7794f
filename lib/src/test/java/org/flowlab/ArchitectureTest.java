package org.flowlab;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** The layering rules of ARCHITECTURE.md that a compiler does not enforce. */
class ArchitectureTest {
    static final JavaClasses LIB = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("org.flowlab");

    @Test
    void scheduleIsPureJava() {
        noClasses().that().resideInAPackage("org.flowlab.schedule..")
                .should().dependOnClassesThat().resideOutsideOfPackages("java..", "org.flowlab.schedule..")
                .check(LIB);
    }

    @Test
    void libKnowsNothingOfJupyter() {
        noClasses().should().dependOnClassesThat().resideInAnyPackage("org.dflib.jjava..", "org.flowlab.kernel..",
                "org.flowlab.ext..", "org.flowlab.cli..").check(LIB);
    }

    /** Methods, samplers, caches and metrics see models only through the interfaces: no concrete model. */
    @Test
    void onlyTheToyKnowsTheToy() {
        noClasses().that().resideOutsideOfPackage("org.flowlab.toy..")
                .should().dependOnClassesThat().resideInAPackage("org.flowlab.toy..").check(LIB);
    }

    /** Only the model providers know diffusers' classes: the toy world's second codec is a diffusers AutoencoderKL. */
    @Test
    void nothingButTheModelProvidersKnowTheDiffusersModels() {
        noClasses().that().resideOutsideOfPackages("org.flowlab.diffusers..", "org.flowlab.toy..")
                .should().dependOnClassesThat().resideInAPackage("org.flowlab.diffusers..").check(LIB);
    }

    /** Caches store what models make; they know no method that uses them. */
    @Test
    void cachesSitBelowTheMethods() {
        noClasses().that().resideInAPackage("org.flowlab.cache..")
                .should().dependOnClassesThat().resideInAnyPackage("org.flowlab.flow..", "org.flowlab.train..",
                        "org.flowlab.glance..", "org.flowlab.scfm..", "org.flowlab.eval..", "org.flowlab.viz..")
                .check(LIB);
    }

    /** The interfaces sit at the bottom: they know schedules and the engine, nothing that uses them. */
    @Test
    void modelIsTheBottomLayer() {
        noClasses().that().resideInAPackage("org.flowlab.model..")
                .should().dependOnClassesThat().resideInAnyPackage("org.flowlab.flow..", "org.flowlab.lora..",
                        "org.flowlab.train..", "org.flowlab.glance..", "org.flowlab.scfm..", "org.flowlab.eval..",
                        "org.flowlab.io..", "org.flowlab.viz..")
                .check(LIB);
    }
}
