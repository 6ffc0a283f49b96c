package io.choria.natsoperator.architecture;

import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/**
 * The package layering, as each package's package-info.java states it: a package uses only the
 * ones below it. Read bottom-up: the API types; certificates; the pure model that turns a spec
 * into objects; the things the model's inputs come from (the user's objects, the brokers' monitoring
 * ports, the Puppet CA); status and metrics made from what was seen; the event sources the
 * reconcile reads; the reconciler; the process; {@code local}; the command line. A new import
 * that points upwards, or any cycle between packages, fails the build here.
 */
@AnalyzeClasses(packages = "io.choria.natsoperator", importOptions = ImportOption.DoNotIncludeTests.class)
class LayeringTest {
    private static final String BASE = "io.choria.natsoperator.";

    @ArchTest
    static final ArchRule packagesHaveNoCycles = slices().matching("io.choria.natsoperator.(*)..").should().beFreeOfCycles();

    @ArchTest
    static final ArchRule eachPackageUsesOnlyTheLayersBelowIt = layeredArchitecture()
            .consideringOnlyDependenciesInLayers()
            .layer("api").definedBy(BASE + "api..")
            .layer("pki").definedBy(BASE + "pki..")
            .layer("model").definedBy(BASE + "model..")
            .layer("inputs").definedBy(BASE + "inputs..")
            .layer("jetstream").definedBy(BASE + "jetstream..")
            .layer("mesh").definedBy(BASE + "mesh..")
            .layer("puppet").definedBy(BASE + "puppet..")
            .layer("status").definedBy(BASE + "status..")
            .layer("metrics").definedBy(BASE + "metrics..")
            .layer("sources").definedBy(BASE + "sources..")
            .layer("reconciler").definedBy(BASE + "reconciler..")
            .layer("runtime").definedBy(BASE + "runtime..")
            .layer("local").definedBy(BASE + "local..")
            .layer("cli").definedBy(BASE + "cli..")
            .whereLayer("api").mayNotAccessAnyLayer()
            .whereLayer("pki").mayOnlyAccessLayers("api")
            .whereLayer("model").mayOnlyAccessLayers("api", "pki")
            .whereLayer("inputs").mayOnlyAccessLayers("api", "pki", "model")
            .whereLayer("mesh").mayOnlyAccessLayers("api", "pki", "model", "jetstream")
            .whereLayer("jetstream").mayOnlyAccessLayers("api", "pki", "model")
            .whereLayer("puppet").mayOnlyAccessLayers("api", "pki", "model")
            .whereLayer("status").mayOnlyAccessLayers("api", "pki", "model", "inputs", "mesh", "jetstream")
            .whereLayer("metrics").mayOnlyAccessLayers("api", "model", "mesh", "jetstream", "status")
            .whereLayer("sources").mayOnlyAccessLayers("api", "pki", "model", "inputs", "mesh", "jetstream", "puppet", "status", "metrics")
            .whereLayer("reconciler").mayOnlyAccessLayers("api", "pki", "model", "inputs", "mesh", "jetstream", "puppet", "status", "metrics", "sources")
            .whereLayer("runtime").mayOnlyAccessLayers("api", "pki", "model", "inputs", "mesh", "jetstream", "puppet", "status", "metrics", "sources", "reconciler")
            .whereLayer("local").mayOnlyAccessLayers("api", "pki", "model", "inputs", "mesh", "jetstream", "puppet", "status", "metrics", "sources", "reconciler", "runtime")
            .whereLayer("cli").mayOnlyAccessLayers("api", "pki", "model", "inputs", "mesh", "jetstream", "puppet", "status", "metrics", "sources", "reconciler", "runtime", "local");
}
