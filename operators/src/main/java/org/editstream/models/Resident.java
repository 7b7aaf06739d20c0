package org.editstream.models;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.WeakHashMap;

/**
 * What this classloader's models keep for as long as they live: the managers holding their weights, and the batchers'
 * worker threads. They are meant to last the JVM, and do where one classloader runs the models (a process of its own,
 * or a MiniCluster). On a Flink cluster each submission of the job gets a classloader of its own, while DJL lives in
 * lib/: weights left open would stay reachable from DJL's system manager after their job has gone, and keep that
 * job's classes alive too. {@link #releaseAll} closes them when Flink lets the classloader go.
 *
 * <p>Entries are weak: a model closed by its owner is collected as before.
 */
public final class Resident {
    private static final Logger LOG = LoggerFactory.getLogger(Resident.class);
    private static final Set<NDManager> MANAGERS = Collections.synchronizedSet(Collections.newSetFromMap(new WeakHashMap<>()));
    private static final Set<Batcher<?, ?>> WORKERS = Collections.synchronizedSet(Collections.newSetFromMap(new WeakHashMap<>()));

    private Resident() {
    }

    /** A base manager for a model's weights on {@code device}, released with the classloader. */
    public static NDManager manager(Device device) {
        NDManager manager = NDManager.newBaseManager(device);
        MANAGERS.add(manager);
        return manager;
    }

    /** A base manager of the default device, released with the classloader. */
    public static NDManager manager(String engine) {
        NDManager manager = NDManager.newBaseManager(engine);
        MANAGERS.add(manager);
        return manager;
    }

    static void worker(Batcher<?, ?> batcher) {
        WORKERS.add(batcher);
    }

    /** Stops every batcher's worker, then closes every manager still open; logs what it released. */
    public static void releaseAll() {
        List<Batcher<?, ?>> workers;
        synchronized (WORKERS) {
            workers = new ArrayList<>(WORKERS);
            WORKERS.clear();
        }
        workers.forEach(Batcher::close);
        List<NDManager> managers;
        synchronized (MANAGERS) {
            managers = new ArrayList<>(MANAGERS);
            MANAGERS.clear();
        }
        int open = 0;
        for (NDManager m : managers) {
            if (m.isOpen()) {
                open++;
                m.close();
            }
        }
        LOG.info("Released the models of a classloader that has gone: {} weight managers closed, {} workers stopped",
                open, workers.size());
    }
}
