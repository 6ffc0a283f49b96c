package io.choria.natsoperator.install;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.choria.natsoperator.testing.External;
import io.choria.natsoperator.testing.Tools;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The chart's alerts evaluated by Prometheus' own rule engine ({@code promtool}, Debian's prometheus package), not
 * only read for metric names: the PrometheusRule is rendered from the chart on every run (so an edit to the template
 * or to a threshold value is what gets tested), turned into a plain rules file with the README's command, and run
 * against the unit tests under {@link #TESTS}, one file per alert.
 */
@External // runs promtool: not a server, but a Debian package the fast loop's machines may lack
class AlertRulesPromtoolTest {
    /** Where users find the alert tests (the README's Monitoring section runs them from there). */
    static final Path TESTS = Chart.DIR.resolve("tests/alerts");
    /** The name the tests' rule_files give (resolved by promtool next to each test file). */
    static final String RULES_FILE = "nats-brokers.rules.yaml";
    static final Path WORK = Path.of("target/promtool/alerts");
    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    static String renderedRule;
    static Path rules;

    @BeforeAll
    static void extractRulesFromTheRenderedChart() throws IOException {
        Tools.require("promtool", "apt-get install -y prometheus (or run .ci/setup)");
        renderedRule = renderedPrometheusRule();
        // start empty: a test file removed from the repo must not linger in target/ and still be run
        if (Files.exists(WORK)) try (Stream<Path> old = Files.list(WORK)) {
            for (Path p : old.toList()) Files.delete(p);
        }
        Files.createDirectories(WORK);
        rules = WORK.resolve(RULES_FILE);
        Files.writeString(rules, plainRules(renderedRule));
        try (Stream<Path> tests = Files.list(TESTS)) {
            for (Path t : tests.filter(p -> p.toString().endsWith(".test.yaml")).toList()) Files.copy(t, WORK.resolve(t.getFileName()));
        }
    }

    /** The chart's PrometheusRule, rendered now (shared with PrometheusLiveTest). */
    static String renderedPrometheusRule() {
        String all = Chart.template("metrics: {prometheusRule: {enabled: true}}");
        List<String> docs = Stream.of(all.split("(?m)^---\\s*$")).filter(d -> d.contains("\nkind: PrometheusRule\n")).toList();
        assertEquals(1, docs.size(), "one PrometheusRule in the chart");
        return docs.get(0);
    }

    /**
     * Every panel and variable query of the dashboard the chart ships, read from its file: a variable's
     * {@code label_values(q, label)} is Grafana's, not PromQL, so its q is what Prometheus is asked.
     */
    static List<String> dashboardQueries() throws IOException {
        var dash = new ObjectMapper().readTree(Chart.DIR.resolve("dashboards/nats-brokers.json").toFile());
        List<String> queries = new ArrayList<>();
        dash.path("panels").forEach(p -> p.path("targets").forEach(t -> queries.add(t.path("expr").asText())));
        dash.path("templating").path("list").forEach(v -> {
            if (v.path("type").asText().equals("query")) queries.add(v.path("definition").asText().replaceAll("^label_values\\((.*),\\s*\\w+\\)$", "$1"));
        });
        return queries;
    }

    /** A dashboard query as Grafana sends it with "All" selected for every variable (a regex matching anything). */
    static String withVariablesAsAll(String query) {
        String promql = query.replace("$namespace", ".*").replace("$natscluster", ".*").replace("$__rate_interval", "5m");
        assertFalse(promql.isBlank(), "an empty query in the dashboard");
        assertFalse(promql.contains("$"), "a Grafana variable this test does not know: " + query);
        return promql;
    }

    /**
     * The README's {@code sed -n '/^spec:/,$p' | sed '1d; s/^  //'}: what follows {@code spec:} (the last key of the
     * rendered object), one indentation level less, is a plain Prometheus rules file ({@code groups: ...}).
     */
    static String plainRules(String promRuleYaml) {
        List<String> lines = promRuleYaml.lines().toList();
        int spec = lines.indexOf("spec:");
        assertTrue(spec >= 0, "no top-level spec: in\n" + promRuleYaml);
        StringBuilder out = new StringBuilder();
        for (String l : lines.subList(spec + 1, lines.size())) out.append(l.startsWith("  ") ? l.substring(2) : l).append('\n');
        return out.toString();
    }

    static String run(List<String> cmd, int expectedExit) throws Exception {
        Process p = new ProcessBuilder(cmd).directory(WORK.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), String.join(" ", cmd) + " did not finish");
        assertEquals(expectedExit, p.exitValue(), String.join(" ", cmd) + " exited " + p.exitValue() + ":\n" + out);
        return out;
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> ruleList(Path file) throws IOException {
        Map<String, Object> doc = YAML.readValue(file.toFile(), Map.class);
        List<Map<String, Object>> out = new ArrayList<>();
        for (Map<String, Object> g : (List<Map<String, Object>>) doc.get("groups")) out.addAll((List<Map<String, Object>>) g.get("rules"));
        return out;
    }

    @Test
    @SuppressWarnings("unchecked")
    void theExtractedFileIsTheRuleSpecUnchanged() throws IOException {
        // the text cut must not lose or re-nest anything: compare with the PrometheusRule's spec as YAML
        Map<String, Object> whole = YAML.readValue(renderedRule, Map.class);
        assertEquals(whole.get("spec"), YAML.readValue(rules.toFile(), Map.class));
    }

    @Test
    void promtoolCheckRules() throws Exception {
        int n = ruleList(rules).size();
        String out = run(List.of("promtool", "check", "rules", RULES_FILE), 0);
        assertTrue(out.contains("SUCCESS: " + n + " rules found"), out);
    }

    @Test
    void promtoolTestRulesPerAlert() throws Exception {
        List<String> cmd = new ArrayList<>(List.of("promtool", "test", "rules"));
        try (Stream<Path> tests = Files.list(WORK)) {
            tests.map(p -> p.getFileName().toString()).filter(f -> f.endsWith(".test.yaml")).sorted().forEach(cmd::add);
        }
        assertTrue(cmd.size() > 3, "no tests in " + TESTS);
        String out = run(cmd, 0);
        assertFalse(out.contains("FAILED"), out);
    }

    /**
     * Every panel and variable query of the dashboard, read from the file the chart ships, parsed by Prometheus' own
     * PromQL parser: each one a recording rule in a file {@code promtool check rules} checks. Grafana's variables are
     * put in as Grafana does with "All" selected (a regex matching anything), and {@code label_values(q, label)} is
     * Grafana's, not PromQL: its q is what Prometheus is asked. This proves the queries are PromQL, not that they
     * return data (PrometheusLiveTest asks a Prometheus scraping a running cluster).
     */
    @Test
    void everyDashboardQueryIsPromqlThatPrometheusParses() throws Exception {
        List<String> queries = dashboardQueries();
        StringBuilder file = new StringBuilder("groups:\n  - name: dashboard-queries\n    rules:\n");
        int i = 0;
        for (String q : queries) {
            String promql = withVariablesAsAll(q);
            file.append("      - record: dashboard:query_").append(i++).append('\n')
                    .append("        expr: ").append(new ObjectMapper().writeValueAsString(promql)).append('\n'); // JSON's quoting: a YAML double-quoted scalar
        }
        Files.writeString(WORK.resolve("dashboard-queries.rules.yaml"), file);
        String out = run(List.of("promtool", "check", "rules", "dashboard-queries.rules.yaml"), 0);
        assertTrue(out.contains("SUCCESS: " + queries.size() + " rules found"), out);
    }

    /**
     * A new alert without a test fails here. Each alert's file must show it fire (some eval with alerts), and both
     * before and after that an eval of the same alert with none: silent where it should be, and cleared once the
     * condition ends. Whether those evals are the right ones is what promtool itself checks.
     */
    @Test
    @SuppressWarnings("unchecked")
    void everyAlertHasATestFileThatFiresAndClears() throws IOException {
        TreeSet<String> alerts = new TreeSet<>();
        for (Map<String, Object> r : ruleList(rules)) if (r.get("alert") != null) alerts.add((String) r.get("alert"));
        assertFalse(alerts.isEmpty());
        TreeSet<String> files = new TreeSet<>();
        try (Stream<Path> tests = Files.list(TESTS)) {
            tests.map(p -> p.getFileName().toString()).filter(f -> f.endsWith(".test.yaml")).forEach(f -> files.add(f.replace(".test.yaml", "")));
        }
        assertEquals(alerts, files, "one " + TESTS + "/<alert>.test.yaml per alert in the chart");
        for (String alert : alerts) {
            Map<String, Object> doc = YAML.readValue(TESTS.resolve(alert + ".test.yaml").toFile(), Map.class);
            assertEquals(List.of(RULES_FILE), doc.get("rule_files"), alert);
            List<Integer> firing = new ArrayList<>();
            List<Integer> silent = new ArrayList<>();
            int i = 0;
            for (Map<String, Object> test : (List<Map<String, Object>>) doc.get("tests")) {
                for (Map<String, Object> eval : (List<Map<String, Object>>) test.getOrDefault("alert_rule_test", List.of())) {
                    assertEquals(alert, eval.get("alertname"), alert + ".test.yaml tests another alert");
                    List<Object> exp = (List<Object>) eval.get("exp_alerts");
                    (exp == null || exp.isEmpty() ? silent : firing).add(i);
                    i++;
                }
            }
            assertFalse(firing.isEmpty(), alert + " never fires in its test");
            int first = firing.get(0), last = firing.get(firing.size() - 1);
            assertTrue(silent.stream().anyMatch(s -> s < first), alert + ": no silent eval before it fires");
            assertTrue(silent.stream().anyMatch(s -> s > last), alert + ": it never clears in its test");
        }
    }
}
