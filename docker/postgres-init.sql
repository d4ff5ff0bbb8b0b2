-- One database per service: a service never reads another's.
CREATE DATABASE invoicing;
CREATE DATABASE payments;
CREATE DATABASE dunning;
CREATE DATABASE notifications;
CREATE DATABASE portal;
