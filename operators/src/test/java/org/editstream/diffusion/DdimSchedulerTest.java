package org.editstream.diffusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.editstream.models.Fixtures;
import org.editstream.models.ModelFolder;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class DdimSchedulerTest {
    @Test
    void timestepsAndStepsMatchTheReference() {
        DdimScheduler scheduler = new DdimScheduler(ModelFolder.json(
                Fixtures.path("sd-tiny/scheduler/scheduler_config.json"), SchedulerConfig.class));
        try (NDManager manager = NDManager.newBaseManager()) {
            Map<String, NDArray> golden = Fixtures.golden(manager, "sd-tiny/golden/ddim.safetensors");
            assertThat(scheduler.timesteps(10)).containsExactly(golden.get("timesteps_10").toLongArray());
            assertThat(scheduler.timesteps(50)).containsExactly(golden.get("timesteps_50").toLongArray());
            int steps = (int) golden.get("num_inference_steps_for_steps").toLongArray()[0];
            for (int k = 0; k < 3; k++) {
                long t = golden.get("step" + k + "_t").toLongArray()[0];
                NDArray prev = scheduler.step(golden.get("step" + k + "_model_output"), t, golden.get("step" + k + "_sample"), steps);
                Fixtures.assertClose("step " + k + " at t=" + t, prev, golden.get("step" + k + "_prev_sample"), 1e-5);
            }
        }
    }

    @Test
    void otherSpacingsAndPredictionsFollowDiffusersFormulas() {
        SchedulerConfig trailing = new SchedulerConfig(1000, 0.00085, 0.012, "scaled_linear", null, false, 1.0,
                false, 1, "v_prediction", "trailing", false, false);
        assertThat(new DdimScheduler(trailing).timesteps(4)).containsExactly(999, 749, 499, 249);
        SchedulerConfig linspace = new SchedulerConfig(1000, 0.0001, 0.02, "linear", null, false, 1.0,
                true, 0, "epsilon", "linspace", false, false);
        assertThat(new DdimScheduler(linspace).timesteps(4)).containsExactly(999, 666, 333, 0);
        try (NDManager manager = NDManager.newBaseManager()) {
            // with v prediction, the x0 of a v computed from known x0 and eps comes back
            DdimScheduler s = new DdimScheduler(trailing);
            NDArray x0 = manager.randomNormal(new ai.djl.ndarray.types.Shape(1, 4, 8, 8));
            NDArray eps = manager.randomNormal(new ai.djl.ndarray.types.Shape(1, 4, 8, 8));
            long t = 749;
            double a = s.alphaCumprod(t);
            NDArray xt = x0.mul((float) Math.sqrt(a)).add(eps.mul((float) Math.sqrt(1 - a)));
            NDArray v = eps.mul((float) Math.sqrt(a)).sub(x0.mul((float) Math.sqrt(1 - a)));
            double aPrev = s.alphaCumprod(499);
            NDArray expected = x0.mul((float) Math.sqrt(aPrev)).add(eps.mul((float) Math.sqrt(1 - aPrev)));
            Fixtures.assertClose("v-prediction step", s.step(v, t, xt, 4), expected, 1e-4);
        }
    }
}
