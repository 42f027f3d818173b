"""Recomputes gdisent's sample-based metrics with scikit-learn, numpy and scipy for TestCrossCheckScikitLearn.

Usage: crosscheck.py DIR. DIR holds ztr.npy, vtr.npy (train codes N×D, factor classes N×K), zte.npy, vte.npy
(test) and sizes.json (downstream training sizes); the scores are printed as JSON. The formulas follow the papers
and disentanglement_lib's documented protocol; the classifiers are scikit-learn's, configured as the protocol's
scikit-learn ≤ 0.21 defaults (liblinear one-vs-rest logistic regression, one-vs-rest LogisticRegressionCV, run to a
tight tolerance so that the optimum, not the stopping point, is compared).
"""
import json
import sys
import warnings

import numpy as np
import scipy.linalg
from sklearn import ensemble, linear_model, metrics, model_selection, preprocessing

warnings.filterwarnings("ignore")
d = sys.argv[1]
ztr, vtr = np.load(d + "/ztr.npy").astype(np.float64), np.load(d + "/vtr.npy")
zte, vte = np.load(d + "/zte.npy").astype(np.float64), np.load(d + "/vte.npy")
sizes = json.load(open(d + "/sizes.json"))
N, D = ztr.shape
K = vtr.shape[1]
out = {}


def bins20(col):
    """Equal-width histogram bins over the column's range (np.histogram edges, last edge excluded)."""
    edges = np.histogram(col, 20)[1][:-1]
    return np.digitize(col, edges)


# DCI with gradient-boosted trees.
R = np.zeros((D, K))
itr, ite = [], []
for k in range(K):
    m = ensemble.GradientBoostingClassifier(random_state=0).fit(ztr, vtr[:, k])
    R[:, k] = np.abs(m.feature_importances_)
    itr.append(np.mean(m.predict(ztr) == vtr[:, k]))
    ite.append(np.mean(m.predict(zte) == vte[:, k]))


def entropy_rows(P, base):
    P = P + 1e-11
    P = P / P.sum(axis=1, keepdims=True)
    return -(P * np.log(P)).sum(axis=1) / np.log(base)


dis = np.sum((1 - entropy_rows(R, K)) * R.sum(axis=1) / R.sum())
com = np.sum((1 - entropy_rows(R.T, D)) * R.sum(axis=0) / R.sum())
out.update(d=dis, c=com, itr=np.mean(itr), ite=np.mean(ite))

# Explicitness: logistic regression on codes standardised with train statistics, macro one-vs-rest ROC-AUC.
mu, sd = ztr.mean(0), ztr.std(0)
sd[sd == 0] = 1
xtr, xte = (ztr - mu) / sd, (zte - mu) / sd
for name, kw in [("liblinear", dict(solver="liblinear", tol=1e-10, max_iter=10000)),
                 ("lbfgs", dict(tol=1e-10, max_iter=10000))]:
    te = []
    for k in range(K):
        clf = linear_model.LogisticRegression(**kw).fit(xtr, vtr[:, k])
        y = preprocessing.label_binarize(vte[:, k], classes=clf.classes_)
        p = clf.predict_proba(xte)
        if len(clf.classes_) == 2:
            y, p = np.hstack([1 - y, y]), p
        te.append(metrics.roc_auc_score(y, p, average="macro"))
    out["explicitness_" + name] = float(np.mean(te))

# IRS: factors in 20 bins; per factor value, the 99th percentile of |z − E[z | value]|, averaged over values, over
# the largest deviation from the mean; weighted by that deviation.
active = ztr[:, ztr.var(0) > 0]
maxdev = np.abs(active - active.mean(0)).max(0)
irs = np.zeros((active.shape[1], K))
for k in range(K):
    f = bins20(vtr[:, k].astype(np.float64))
    vals = np.unique(f)
    for v in vals:
        g = active[f == v]
        irs[:, k] += np.percentile(np.abs(g - g.mean(0)), 99, axis=0)
    irs[:, k] /= len(vals)
score = 1 - irs / maxdev[:, None]
out["irs"] = float(np.average(score.max(1), weights=maxdev))

# Unsupervised scores.
cov = np.cov(ztr.T)
out["tc"] = 0.5 * (np.sum(np.log(np.diag(cov))) - np.linalg.slogdet(cov)[1])
root = scipy.linalg.sqrtm(np.diag(np.sqrt(np.diag(cov))) @ cov @ np.diag(np.sqrt(np.diag(cov))))
out["wasserstein"] = float(2 * np.trace(cov) - 2 * np.real(np.trace(root)))
disc = [bins20(ztr[:, j]) for j in range(D)]
mi = [metrics.mutual_info_score(disc[a], disc[b]) for a in range(D) for b in range(D) if a != b]
out["mutual_info"] = float(np.mean(mi))

# Downstream task: one-vs-rest LogisticRegressionCV and gradient boosting from the first n training rows.
for name, make in [("logreg", lambda: linear_model.LogisticRegressionCV(
        Cs=10, cv=model_selection.KFold(n_splits=5), multi_class="ovr", tol=1e-10, max_iter=100000)),
                   ("gbt", lambda: ensemble.GradientBoostingClassifier(random_state=0))]:
    for n in sizes:
        te = [np.mean(make().fit(ztr[:n], vtr[:n, k]).predict(zte) == vte[:, k]) for k in range(K)]
        out["downstream_%s_%d" % (name, n)] = float(np.mean(te))

print(json.dumps({k: float(v) for k, v in out.items()}))
