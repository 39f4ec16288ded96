// fleetbench HTML report: turns the chart specs in #fb-data (built by
// results/htmlreport) into ECharts charts. Kept small on purpose: every
// decision about what to plot is made in Go, where it is tested.
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('fb-data').textContent);

  function fixed(v, d) {
    return Number(v).toFixed(d).replace(/\.0+$/, '').replace(/(\.\d*?)0+$/, '$1');
  }
  // fmt formats a value in an axis unit; short is for axis ticks.
  function fmt(unit, v, short) {
    if (v === null || v === undefined || isNaN(v)) { return '–'; }
    var a = Math.abs(v);
    switch (unit) {
      case 'ms':
        if (a >= 1000) { return fixed(v / 1000, a >= 10000 ? 0 : 1) + ' s'; }
        if (a >= 100) { return fixed(v, 0) + ' ms'; }
        return fixed(v, a >= 1 ? 1 : 2) + ' ms';
      case 'pct':
        return fixed(v, a >= 10 ? (short ? 0 : 1) : (a >= 1 ? 1 : 2)) + '%';
      case 'usd':
        if (a === 0) { return '$0'; }
        if (a >= 100) { return '$' + fixed(v, 0); }
        if (a >= 1) { return '$' + fixed(v, 2); }
        return '$' + Number(v).toPrecision(3);
      case 's':
        return fixed(v, a >= 100 ? 0 : 1) + ' s';
      case 'x':
        return '×' + fixed(v, 3);
    }
    if (a >= 1e6) { return fixed(v / 1e6, 1) + 'M'; }
    if (a >= 1e4) { return fixed(v / 1e3, 1) + 'k'; }
    return fixed(v, a >= 100 ? 0 : 2);
  }

  function axisOpt(a, isX, spec) {
    var o = {
      name: a.name, nameLocation: 'middle', nameGap: isX ? 30 : 52,
      nameTextStyle: { color: '#64748b', fontSize: 12 },
      type: a.log ? 'log' : 'value',
      axisLabel: { color: '#475569', fontSize: 11, hideOverlap: true, formatter: function (v) { return fmt(a.unit, v, true); } },
      axisLine: { lineStyle: { color: '#cbd5e1' } },
      splitLine: { lineStyle: { color: '#eef2f7' } }
    };
    if (a.min !== undefined) { o.min = a.min; }
    if (a.max !== undefined) { o.max = a.max; }
    if (!a.log && a.min === undefined && !isX) { o.scale = false; }
    if (isX && !a.log && a.unit !== 's' && a.unit !== 'pct') { o.scale = true; }
    if (isX && spec.categories) {
      o.type = 'category';
      o.data = spec.categories;
      o.axisLabel = { color: '#475569', fontSize: 11, interval: 0, hideOverlap: true };
    }
    return o;
  }

  function seriesOpt(s) {
    var o = { name: s.name, type: s.kind === 'step' ? 'line' : s.kind, color: s.color, yAxisIndex: s.axis || 0, animation: false };
    o.data = s.labels ? s.data.map(function (d, i) { return { value: d, name: s.labels[i] }; }) : s.data;
    if (o.type === 'line') {
      o.lineStyle = { width: 2, type: s.dash || 'solid' };
      o.showSymbol = !!s.labels && s.data.length <= 60;
      o.symbolSize = 6;
      if (s.kind === 'step') { o.step = 'start'; o.lineStyle.width = 2.5; o.z = 1; }
    } else if (o.type === 'scatter') {
      o.symbolSize = s.size || 8;
      o.z = 5;
      if (s.symbol === 'rect') {
        o.symbol = 'rect';
        o.symbolSize = [s.size || 30, 3]; // a tick across a bar: a bound
      } else if (s.symbol === 'emptyCircle') {
        // A ring with a see-through middle, so the dot it marks shows.
        o.symbol = 'circle';
        o.itemStyle = { color: 'rgba(0,0,0,0)', borderWidth: 2.5, borderColor: s.color };
      } else if (s.symbol) {
        o.symbol = s.symbol;
      }
    } else if (o.type === 'bar') {
      o.barMaxWidth = 26;
      o.itemStyle = { borderRadius: [3, 3, 0, 0] };
    }
    if (s.note) {
      o.label = { show: true, formatter: s.note, position: 'top', distance: 10, fontWeight: 'bold', color: s.color };
    }
    return o;
  }

  function marks(spec, series) {
    if (!spec.marks || !series.length) { return; }
    var lines = [], areas = [];
    spec.marks.forEach(function (m) {
      if (m.to !== undefined && m.to !== null) {
        areas.push([{ xAxis: m.value, name: m.label }, { xAxis: m.to }]);
        return;
      }
      // Alternate sides so that labels of close lines do not overlap.
      var d = { name: m.label, lineStyle: { color: m.color, type: 'dashed', width: 1.5 },
        label: { formatter: m.label, color: m.color, fontSize: 11, position: lines.length % 2 ? 'insideEndBottom' : 'insideEndTop' } };
      d[m.axis === 'x' ? 'xAxis' : 'yAxis'] = m.value;
      lines.push(d);
    });
    if (lines.length) { series[0].markLine = { symbol: ['none', 'none'], silent: true, animation: false, data: lines }; }
    if (areas.length) {
      series[0].markArea = { silent: true, animation: false, itemStyle: { color: 'rgba(148,163,184,0.16)' },
        label: { color: '#64748b', fontSize: 11 }, data: areas };
    }
  }

  function tooltip(spec) {
    var item = spec.series.some(function (s) { return s.kind === 'scatter'; });
    var yUnit = function (i) { var s = spec.series[i]; return (s && s.axis && spec.y2) ? spec.y2.unit : spec.y.unit; };
    return {
      trigger: item ? 'item' : 'axis', confine: true,
      axisPointer: { type: spec.categories ? 'shadow' : 'line' },
      formatter: function (params) {
        var ps = Array.isArray(params) ? params : [params];
        if (!ps.length) { return ''; }
        var v0 = ps[0].value;
        var x = Array.isArray(v0) ? v0[0] : ps[0].axisValue;
        var head = spec.categories ? spec.categories[x] : fmt(spec.x.unit, x);
        var out = [];
        if (item && ps[0].name) { out.push('<b>' + ps[0].name + '</b>'); }
        out.push(spec.x.name + ': ' + head);
        ps.forEach(function (p) {
          var v = Array.isArray(p.value) ? p.value[1] : p.value;
          out.push(p.marker + p.seriesName + ': <b>' + fmt(yUnit(p.seriesIndex), v) + '</b>');
        });
        return out.join('<br>');
      }
    };
  }

  function option(spec) {
    var series = spec.series.map(seriesOpt);
    marks(spec, series);
    var y = [axisOpt(spec.y, false, spec)];
    if (spec.y2) {
      var y2 = axisOpt(spec.y2, false, spec);
      y2.splitLine = { show: false };
      y.push(y2);
    }
    return {
      animation: false,
      textStyle: { fontFamily: 'inherit' },
      grid: { left: 70, right: spec.y2 ? 70 : 24, top: spec.legend ? 44 : 18, bottom: 46 },
      legend: spec.legend ? { type: 'scroll', top: 0, left: 'center', itemGap: 18, itemWidth: 18, itemHeight: 10, textStyle: { fontSize: 11.5, color: '#334155' } } : { show: false },
      tooltip: tooltip(spec),
      xAxis: axisOpt(spec.x, true, spec),
      yAxis: y,
      series: series
    };
  }

  var charts = [];
  data.charts.forEach(function (spec) {
    var node = document.getElementById(spec.id);
    if (!node) { throw new Error('fleetbench report: no element for chart ' + spec.id); }
    var chart = echarts.init(node, null, { renderer: 'svg' });
    chart.setOption(option(spec));
    charts.push(chart);
  });
  window.addEventListener('resize', function () { charts.forEach(function (c) { c.resize(); }); });
  document.body.setAttribute('data-charts', String(charts.length));
})();
