package io.choria.natsoperator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.ValidationRule;

@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "!has(self.lameDuckDuration) || duration(self.lameDuckDuration) >= duration('30s')",
        message = "lameDuckDuration must be at least 30s (nats-server refuses less)")
@ValidationRule(value = "!has(self.lameDuckDuration) || duration(self.lameDuckDuration) <= duration('1h')",
        message = "lameDuckDuration must be at most 1h")
public class LimitsSpec {
    public static final String DURATION_PATTERN = "^([0-9]+(ms|s|m|h))+$";

    /** fs.nr_open's default (1048576) caps a process's file descriptors, so no broker can hold more connections. */
    public static final int MAX_CONNECTIONS = 1048576;

    @Min(1) @Max(MAX_CONNECTIONS) @Default("65536")
    @JsonPropertyDescription("max_connections of each broker (1-1048576, the default per-process file descriptor limit fs.nr_open).")
    private Integer maxConnections = 65536;

    @Pattern(DURATION_PATTERN) @Default("10s")
    @JsonPropertyDescription("write_deadline: how long a broker waits on a slow client before dropping it (Go duration, e.g. 10s).")
    private String writeDeadline = "10s";

    @Pattern(DURATION_PATTERN) @Default("30s")
    @JsonPropertyDescription("lame_duck_duration: how long a stopping broker takes to close its clients gradually (30s to 1h). Changing it restarts the brokers.")
    private String lameDuckDuration = "30s";

    public Integer getMaxConnections() { return maxConnections; }
    public void setMaxConnections(Integer maxConnections) { this.maxConnections = maxConnections; }
    public String getWriteDeadline() { return writeDeadline; }
    public void setWriteDeadline(String writeDeadline) { this.writeDeadline = writeDeadline; }
    public String getLameDuckDuration() { return lameDuckDuration; }
    public void setLameDuckDuration(String lameDuckDuration) { this.lameDuckDuration = lameDuckDuration; }
}
