/**
 * Where the runtime's classes get their loggers: {@link dev.deploy.logging.Loggers}, which keeps
 * SLF4J quiet in a program that has no logging binding. Imported by every other package; imports
 * none of them. Not API.
 */
package dev.deploy.logging;
