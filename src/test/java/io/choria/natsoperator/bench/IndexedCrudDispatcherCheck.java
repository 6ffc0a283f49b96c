package io.choria.natsoperator.bench;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Runs the same CRUD script against fabric8's plain {@link KubernetesCrudDispatcher} and the
 * benchmark's {@link IndexedCrudDispatcher} and compares what a client sees: get by name after
 * label changes, 409 on a create that exists and on a stale update, label-selector lists, merge
 * patch of the status subresource, delete, and the watch events. {@code bench/run IndexedCrudDispatcherCheck}
 */
public final class IndexedCrudDispatcherCheck {

    public static void main(String[] args) throws Exception {
        List<String> plain = script(new KubernetesCrudDispatcher());
        List<String> indexed = script(new IndexedCrudDispatcher());
        for (int i = 0; i < Math.max(plain.size(), indexed.size()); i++) {
            String a = i < plain.size() ? plain.get(i) : "<none>";
            String b = i < indexed.size() ? indexed.get(i) : "<none>";
            System.out.println((a.equals(b) ? "  same  " : "  DIFF  ") + a + (a.equals(b) ? "" : "   vs   " + b));
        }
        boolean same = plain.equals(indexed);
        System.out.println(same ? "IndexedCrudDispatcher matches KubernetesCrudDispatcher (" + plain.size() + " observations)" : "MISMATCH");
        System.exit(same ? 0 : 1);
    }

    static List<String> script(io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher dispatcher) throws Exception {
        List<String> out = new ArrayList<>();
        KubernetesMockServer server = io.choria.natsoperator.local.EmbeddedApiServer.crudServer(dispatcher);
        server.init(java.net.InetAddress.getLoopbackAddress(), 0);
        try (KubernetesClient client = server.createClient()) {
            client.apiextensions().v1().customResourceDefinitions().resource(Serialization.unmarshal(
                    Files.readString(Path.of("crds/natsclusters.choria.io-v1.yml")), CustomResourceDefinition.class)).create();
            List<String> events = new CopyOnWriteArrayList<>();
            var watch = client.configMaps().inNamespace("a").withLabel("app", "x").watch(new Watcher<ConfigMap>() {
                @Override
                public void eventReceived(Action action, ConfigMap cm) {
                    events.add(action + " " + cm.getMetadata().getName() + " " + cm.getData());
                }

                @Override
                public void onClose(WatcherException cause) {
                }
            });
            for (String ns : List.of("a", "b")) {
                for (int i = 0; i < 3; i++) {
                    client.configMaps().inNamespace(ns).resource(new ConfigMapBuilder().withNewMetadata().withName("cm" + i)
                            .addToLabels("app", i == 0 ? "x" : "y").endMetadata().addToData("k", ns + i).build()).create();
                }
            }
            out.add("get a/cm1: " + data(client.configMaps().inNamespace("a").withName("cm1").get()));
            out.add("get b/cm1: " + data(client.configMaps().inNamespace("b").withName("cm1").get()));
            out.add("get a/none: " + client.configMaps().inNamespace("a").withName("none").get());
            out.add("create again: " + code(() -> client.configMaps().inNamespace("a").resource(new ConfigMapBuilder()
                    .withNewMetadata().withName("cm0").endMetadata().build()).create()));
            ConfigMap cm1 = client.configMaps().inNamespace("a").withName("cm1").get();
            cm1.getMetadata().getLabels().put("app", "x");
            cm1.getData().put("k", "relabelled");
            client.configMaps().inNamespace("a").resource(cm1).update();
            out.add("after relabel get: " + data(client.configMaps().inNamespace("a").withName("cm1").get()));
            out.add("list app=x in a: " + names(client.configMaps().inNamespace("a").withLabel("app", "x").list().getItems()));
            out.add("list app=y all: " + names(client.configMaps().inAnyNamespace().withLabel("app", "y").list().getItems()));
            cm1.getData().put("k", "stale");
            out.add("stale update: " + code(() -> client.configMaps().inNamespace("a").resource(cm1).update()));
            out.add("edit: " + data(client.configMaps().inNamespace("a").withName("cm2").edit(c -> {
                c.getData().put("k", "edited");
                return c;
            })));
            var ncs = client.genericKubernetesResources("choria.io/v1alpha1", "NatsCluster");
            GenericKubernetesResource nc = Serialization.unmarshal(Files.readString(Path.of("examples/natscluster-3.yaml")),
                    GenericKubernetesResource.class);
            nc.getMetadata().setNamespace("a");
            ncs.inNamespace("a").resource(nc).create();
            ncs.inNamespace("a").withName("broker").subresource("status").patch(PatchContext.of(PatchType.JSON_MERGE),
                    "{\"status\":{\"observedGeneration\":1}}");
            GenericKubernetesResource got = ncs.inNamespace("a").withName("broker").get();
            out.add("nc generation/observed/rv: " + got.getMetadata().getGeneration() + " " + got.get("status", "observedGeneration")
                    + " " + got.getMetadata().getResourceVersion());
            client.configMaps().inNamespace("a").withName("cm0").delete();
            out.add("after delete get: " + client.configMaps().inNamespace("a").withName("cm0").get());
            out.add("after delete list a: " + names(client.configMaps().inNamespace("a").list().getItems()));
            Thread.sleep(500);
            watch.close();
            out.add("watch: " + events);
        } finally {
            server.destroy();
        }
        return out;
    }

    private static String data(ConfigMap cm) {
        return cm == null ? "null" : cm.getMetadata().getName() + " " + cm.getMetadata().getLabels() + " " + cm.getData() + " rv="
                + cm.getMetadata().getResourceVersion();
    }

    private static List<String> names(List<ConfigMap> items) {
        return items.stream().map(c -> c.getMetadata().getNamespace() + "/" + c.getMetadata().getName()).sorted().toList();
    }

    private static String code(Runnable r) {
        try {
            r.run();
            return "ok";
        } catch (KubernetesClientException e) {
            return Integer.toString(e.getCode());
        }
    }
}
