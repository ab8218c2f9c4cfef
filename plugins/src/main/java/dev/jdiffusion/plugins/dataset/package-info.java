/**
 * The built-in dataset plugins: {@code idx}, {@code mnist}, {@code fashion-mnist}, {@code cifar10},
 * {@code image-folder} and {@code synthetic}. Each decodes its files once into unsigned bytes in memory
 * and serves pixels scaled to {@code [-1, 1]}; user documentation is in {@code docs/datasets.md}.
 */
package dev.jdiffusion.plugins.dataset;
