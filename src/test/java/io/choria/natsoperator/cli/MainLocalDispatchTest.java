package io.choria.natsoperator.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * {@code local} is dispatched by class name: the operator jar (target/nats-operator.jar) does not hold
 * {@code LocalCommand}, so {@code Main} must not link it, and says which jar has it. OperatorJarIT runs the real jars.
 */
class MainLocalDispatchTest {
    @Test
    void withoutLocalCommandItIsAUsageErrorNamingTheLocalJar() {
        var e = assertThrows(Main.UsageException.class,
                () -> Main.local("io.choria.natsoperator.cli.NoSuchLocalCommand", new String[] {"-f", "x.yaml"}, System.out));
        assertEquals("`local` is not in this jar: use target/nats-operator-local.jar", e.getMessage());
    }

    @Test
    void withLocalCommandItRunsItAndItsUsageErrorsStayUsageErrors() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertEquals(0, Main.local(Main.LOCAL_COMMAND, new String[] {"--help"}, new PrintStream(out, true, StandardCharsets.UTF_8)));
        assertEquals(LocalCommand.usage(), out.toString(StandardCharsets.UTF_8).strip());
        var e = assertThrows(Main.UsageException.class, () -> Main.local(Main.LOCAL_COMMAND, new String[] {"--bogus"}, System.out));
        assertEquals("local: unknown option '--bogus' (see local --help)", e.getMessage());
        assertEquals(2, Main.run(new String[] {"local", "--bogus"}));
    }

    @Test
    void mainDoesNotLinkLocalCommand() throws Exception {
        // a class reference in Main's constant pool would fail with NoClassDefFoundError in the operator jar
        try (InputStream in = Main.class.getResourceAsStream("Main.class")) {
            String classFile = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
            assertFalse(classFile.contains("io/choria/natsoperator/cli/LocalCommand"), "Main.class refers to LocalCommand");
        }
    }
}
