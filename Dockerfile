# The runtime image of deploy k8s: a JRE, deploy.jar and the k8s module's jars (lib/k8s/).
# Build after `mvn -q -DskipTests -pl cli,k8s -am package`:
#   docker build -t <registry>/deploy:<tag> .
# (k8s/pom.xml's Jib configuration makes the same image without Docker.) Not built here: no
# Docker engine or registry was available where this was written.
FROM eclipse-temurin:17-jre
COPY cli/target/deploy.jar /opt/deploy/lib/deploy.jar
COPY k8s/target/k8s-lib/ /opt/deploy/lib/k8s/
# Root in the container: the Secret's key file (mode 0400) is owned by root, and deploy reads a
# key file only when its owner runs it.
USER 0
ENTRYPOINT ["java", "-jar", "/opt/deploy/lib/deploy.jar"]
