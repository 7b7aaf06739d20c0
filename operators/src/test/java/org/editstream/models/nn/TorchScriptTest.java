package org.editstream.models.nn;

import ai.djl.engine.EngineException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TorchScriptTest {
    @Test
    void compilesMethodsAndCallsThemWithTensorsAndNumbers() {
        try (TorchScript module = TorchScript.compile("Affine", """
                  def scaled(self: __torch__.Affine, x: Tensor, a: float, b: int, negate: bool) -> Tensor:
                    y = x * a + b
                    if negate:
                      y = -y
                    return y
                  def signed(self: __torch__.Affine, x: Tensor, sign: str) -> Tensor:
                    if sign == "minus":
                      return -x
                    return x
                """);
             NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.create(new float[] {1f, 2f, 3f});
            NDArray y = module.call("scaled", m, x, 2.0, 1, false);
            assertThat(y.toFloatArray()).containsExactly(3f, 5f, 7f);
            assertThat(module.call("scaled", m, x, 0.5f, 2L, true).toFloatArray()).containsExactly(-2.5f, -3f, -3.5f);
            assertThat(y.getManager()).isSameAs(m);
            // results are ordinary arrays: the models add into what a kernel returned
            assertThat(y.addi(1f).toFloatArray()).containsExactly(4f, 6f, 8f);
            assertThat(module.call("signed", m, x, "minus").toFloatArray()).containsExactly(-1f, -2f, -3f);
            assertThat(module.call("signed", m, x, "plus").toFloatArray()).containsExactly(1f, 2f, 3f);
            assertThatThrownBy(() -> module.call("scaled", m, x, new StringBuilder("two"), 1, false))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("java.lang.StringBuilder");
            // a value of the wrong TorchScript type is refused by the method's schema
            assertThatThrownBy(() -> module.call("scaled", m, x, "two", 1, false)).hasMessageContaining("Expected a value of type 'float'");
        }
    }

    @Test
    void objectsMethodsReturnAreHeldForLaterCallsUntilTheirManagerCloses() {
        try (TorchScript module = TorchScript.compile("Scales", """
                  def make(self: __torch__.Scales, factors: List[int]) -> Tuple[List[int], int]:
                    return (factors, len(factors))
                  def apply(self: __torch__.Scales, x: Tensor, scales: Tuple[List[int], int]) -> Tensor:
                    factors, n = scales
                    return x * factors[n - 1]
                """);
             NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.create(new float[] {1f, -2f});
            TorchScript.Value scales;
            try (NDManager owner = NDManager.newBaseManager()) {
                scales = module.callForValue("make", owner, new long[] {2, 5});
                assertThat(scales.type()).isEqualTo("(int[], int)");
                assertThat(module.call("apply", m, x, scales).toFloatArray()).containsExactly(5f, -10f);
                assertThat(module.call("apply", m, x.mul(2), scales).toFloatArray()).containsExactly(10f, -20f);
            }
            // closing its manager released it
            assertThatThrownBy(() -> module.call("apply", m, x, scales)).isInstanceOf(IllegalStateException.class);
        }
    }

    @Test
    void badSourceIsAnEngineErrorNamingTheClass() {
        assertThatThrownBy(() -> TorchScript.compile("Broken", "  def f(self: __torch__.Broken) -> Tensor:\n    return undefined_name\n"))
                .isInstanceOf(EngineException.class).hasMessageContaining("Broken");
        assertThatThrownBy(() -> TorchScript.compile("not a name", ""))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
