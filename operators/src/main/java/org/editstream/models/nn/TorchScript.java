package org.editstream.models.nn;

import ai.djl.engine.EngineException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import ai.djl.pytorch.jni.JniUtils;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * A TorchScript module compiled by libtorch from source written here, for the kernels libtorch has and DJL's
 * operator set does not expose ({@link Kernels}). The module has no parameters: it is a
 * function of the tensors and numbers it is called with, so one instance serves every device and thread.
 *
 * <p>libtorch reads TorchScript as a zip archive of stored entries: {@code code/__torch__.py} (the class's source),
 * {@code data.pkl} (the module object, a pickle of its class with {@code training = False}), {@code constants.pkl}
 * (an empty tuple) and {@code version}. The archive is built in memory; nothing is written to disk.
 */
public final class TorchScript implements AutoCloseable {
    /** The archive format version written: 3 is the format of modules that use no operator with versioned semantics. */
    private static final String FORMAT_VERSION = "3";

    private final PtNDManager manager;
    private final PtSymbolBlock module;

    private TorchScript(PtNDManager manager, PtSymbolBlock module) {
        this.manager = manager;
        this.module = module;
    }

    /**
     * Compiles a module class.
     *
     * @param className the class's name in {@code source}, a Python identifier
     * @param source    the methods of {@code class NAME(Module)} in TorchScript, indented by two spaces (the
     *                  attribute declarations are added here)
     * @throws EngineException when libtorch rejects the source
     */
    public static TorchScript compile(String className, String source) {
        if (!className.matches("[A-Za-z_][A-Za-z0-9_]*")) {
            throw new IllegalArgumentException("not a TorchScript class name: " + className);
        }
        Native.require();
        NDManager base = org.editstream.models.Resident.manager("PyTorch");
        if (!(base instanceof PtNDManager pt)) {
            String engine = base.getEngine().getEngineName();
            base.close();
            throw new EngineException("TorchScript needs the PyTorch engine, not " + engine);
        }
        try {
            byte[] archive = archive(className, source);
            return new TorchScript(pt, JniUtils.loadModule(pt, new ByteArrayInputStream(archive), false, false));
        } catch (IOException | RuntimeException e) {
            pt.close();
            throw new EngineException("TorchScript " + className + " did not compile: " + e.getMessage(), e);
        }
    }

    /**
     * Runs a method. Arguments are arrays (passed as tensors), {@code Integer}/{@code Long} (int),
     * {@code Double}/{@code Float} (float), {@code Boolean} (bool), {@code String} (str), {@code long[]} (List[int]) or a {@link Value}
     * an earlier call returned.
     *
     * @return the tensor the method returns, attached to {@code results}
     */
    public NDArray call(String method, NDManager results, Object... arguments) {
        try (IValue out = run(method, arguments)) {
            return out.toTensor((PtNDManager) results);
        }
    }

    /**
     * Runs a method that returns an object other than a tensor (a TorchScript class instance, such as a packed
     * weight), to be passed to later calls. The value is attached to {@code owner}, which closes it.
     */
    public Value callForValue(String method, NDManager owner, Object... arguments) {
        Value value = new Value(run(method, arguments), owner);
        owner.attachInternal(value.uid, value);
        return value;
    }

    private IValue run(String method, Object... arguments) {
        List<IValue> created = new ArrayList<>(arguments.length);
        try {
            long[] handles = new long[arguments.length];
            for (int i = 0; i < arguments.length; i++) {
                if (arguments[i] instanceof Value v) {
                    handles[i] = v.value.getHandle();
                } else {
                    IValue input = value(arguments[i]);
                    created.add(input);
                    handles[i] = input.getHandle();
                }
            }
            return Native.run(module.getHandle(), method, handles);
        } finally {
            created.forEach(IValue::close);
        }
    }

    /** An object a method returned, held natively until closed (by the manager it was attached to). */
    public static final class Value implements AutoCloseable {
        private final IValue value;
        private final NDManager owner;
        private final String uid;

        private Value(IValue value, NDManager owner) {
            this.value = value;
            this.owner = owner;
            this.uid = "torchscript-value-" + value.getHandle();
        }

        /** The TorchScript type of the object, as libtorch names it. */
        public String type() {
            return value.getType();
        }

        @Override
        public void close() {
            value.close();
            owner.detachInternal(uid);
        }
    }

    /**
     * DJL runs TorchScript methods in inference mode only, whose result tensors may never be modified in place
     * afterwards, while the models here add into and scale arrays they just computed. So a method is run the way
     * DJL runs one for training (no inference mode; nothing here requires gradients, so no autograd graph is
     * recorded), through the native entry point DJL keeps package-private.
     */
    private static final class Native {
        private static final boolean CUDA_STREAM = Boolean.getBoolean("ai.djl.pytorch.enable_cuda_stream");
        private static final MethodHandle RUN;
        private static final MethodHandle VALUE;
        private static final String MISSING;

        static {
            MethodHandle run = null;
            MethodHandle value = null;
            String missing = null;
            try {
                Class<?> type = Class.forName("ai.djl.pytorch.jni.PyTorchLibrary");
                MethodHandles.Lookup library = MethodHandles.privateLookupIn(type, MethodHandles.lookup());
                Object lib = library.findStaticGetter(type, "LIB", type).invoke();
                run = library.findVirtual(type, "moduleRunMethod", MethodType.methodType(long.class, long.class,
                        String.class, long[].class, boolean.class, boolean.class)).bindTo(lib);
                value = MethodHandles.privateLookupIn(IValue.class, MethodHandles.lookup())
                        .findConstructor(IValue.class, MethodType.methodType(void.class, long.class));
            } catch (Throwable e) {
                missing = "this DJL version lacks the TorchScript entry points EditStream uses (" + e + ")";
            }
            RUN = run;
            VALUE = value;
            MISSING = missing;
        }

        static void require() {
            if (MISSING != null) {
                throw new EngineException(MISSING);
            }
        }

        static IValue run(long module, String method, long[] inputs) {
            require();
            try {
                return (IValue) VALUE.invoke((long) RUN.invoke(module, method, inputs, true, CUDA_STREAM));
            } catch (RuntimeException | Error e) {
                throw e;
            } catch (Throwable e) {
                throw new EngineException(e.getMessage(), e);
            }
        }
    }

    @Override
    public void close() {
        module.close();
        manager.close();
    }

    private static IValue value(Object argument) {
        if (argument instanceof NDArray array) {
            return IValue.from((PtNDArray) array);
        } else if (argument instanceof Integer || argument instanceof Long) {
            return IValue.from(((Number) argument).longValue());
        } else if (argument instanceof Double || argument instanceof Float) {
            return IValue.from(((Number) argument).doubleValue());
        } else if (argument instanceof Boolean b) {
            return IValue.from(b);
        } else if (argument instanceof String text) {
            return IValue.from(text);
        } else if (argument instanceof long[] list) {
            return IValue.listFrom(list);
        }
        throw new IllegalArgumentException("no TorchScript value for " + (argument == null ? "null" : argument.getClass().getName()));
    }

    static byte[] archive(String className, String source) throws IOException {
        String code = "class " + className + "(Module):\n"
                + "  __parameters__ = []\n"
                + "  __buffers__ = []\n"
                + "  training : bool\n"
                + source;
        ByteArrayOutputStream zip = new ByteArrayOutputStream();
        try (ZipOutputStream out = new ZipOutputStream(zip)) {
            stored(out, "data.pkl", modulePickle(className));
            stored(out, "code/__torch__.py", code.getBytes(StandardCharsets.UTF_8));
            stored(out, "constants.pkl", new byte[] {(byte) 0x80, 2, ')', '.'}); // PROTO 2, EMPTY_TUPLE, STOP
            stored(out, "version", (FORMAT_VERSION + "\n").getBytes(StandardCharsets.US_ASCII));
        }
        return zip.toByteArray();
    }

    /** The pickle (protocol 2) of an instance of {@code __torch__.NAME} whose state is {@code {"training": False}}. */
    private static byte[] modulePickle(String className) {
        ByteArrayOutputStream p = new ByteArrayOutputStream();
        p.write(0x80); // PROTO
        p.write(2);
        p.writeBytes(("c__torch__\n" + className + "\n").getBytes(StandardCharsets.US_ASCII)); // GLOBAL
        p.write(')'); // EMPTY_TUPLE: no constructor arguments
        p.write(0x81); // NEWOBJ
        p.write('}'); // EMPTY_DICT: the state
        p.write('('); // MARK
        byte[] key = "training".getBytes(StandardCharsets.US_ASCII);
        p.write('X'); // BINUNICODE, 4-byte little-endian length
        p.write(key.length);
        p.write(0);
        p.write(0);
        p.write(0);
        p.writeBytes(key);
        p.write(0x89); // NEWFALSE
        p.write('u'); // SETITEMS
        p.write('b'); // BUILD
        p.write('.'); // STOP
        return p.toByteArray();
    }

    private static void stored(ZipOutputStream out, String name, byte[] bytes) {
        ZipEntry entry = new ZipEntry("module/" + name);
        entry.setMethod(ZipEntry.STORED);
        entry.setSize(bytes.length);
        entry.setCompressedSize(bytes.length);
        CRC32 crc = new CRC32();
        crc.update(bytes);
        entry.setCrc(crc.getValue());
        try {
            out.putNextEntry(entry);
            out.write(bytes);
            out.closeEntry();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
