package io.choria.natsoperator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import java.util.ArrayList;
import java.util.List;

/** One hub this site dials: the leaf node URLs of its brokers (one connection per broker, to one of them). */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class LeafNodeRemote {
    @Required
    @Size(min = 1)
    @JsonPropertyDescription("Leaf node URLs of the hub, e.g. tls://leaf.hub.example.net:7422: no credentials (the broker"
            + " authenticates with its certificate); their host names must be on the hub's certificate.")
    private List<@Pattern(SpecPatterns.NATS_URL) String> urls = new ArrayList<>();

    public List<String> getUrls() { return urls; }
    public void setUrls(List<String> urls) { this.urls = urls; }
}
