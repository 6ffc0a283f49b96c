package io.choria.natsoperator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.ValidationRule;

@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "!has(self.lameDuckDuration) || duration(self.lameDuckDuration) >= duration('30s')",
        message = "lameDuckDuration must be at least 30s (nats-server refuses less)")
public class LimitsSpec {
    public static final String DURATION_PATTERN = "^([0-9]+(ms|s|m|h))+$";

    @Min(1) @Default("65536")
    @JsonPropertyDescription("max_connections of each broker.")
    private Integer maxConnections = 65536;

    @Pattern(DURATION_PATTERN) @Default("10s")
    @JsonPropertyDescription("write_deadline: how long a broker waits on a slow client before dropping it (Go duration, e.g. 10s).")
    private String writeDeadline = "10s";

    @Pattern(DURATION_PATTERN) @Default("30s")
    @JsonPropertyDescription("lame_duck_duration: how long a stopping broker takes to close its clients gradually (at least 30s). Changing it restarts the brokers.")
    private String lameDuckDuration = "30s";

    public Integer getMaxConnections() { return maxConnections; }
    public void setMaxConnections(Integer maxConnections) { this.maxConnections = maxConnections; }
    public String getWriteDeadline() { return writeDeadline; }
    public void setWriteDeadline(String writeDeadline) { this.writeDeadline = writeDeadline; }
    public String getLameDuckDuration() { return lameDuckDuration; }
    public void setLameDuckDuration(String lameDuckDuration) { this.lameDuckDuration = lameDuckDuration; }
}
